--- The end-to-end suite shared by both ghost-text paths: a child Neovim with the plugin and
--- the real `repofill serve` opens real files, types in insert mode, and checks the buffer.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'helpers.lua'))

vim.opt.rtp:prepend(H.root)
local text = require('repofill.text')

local SHAPES = [[
"""Shapes and their measurements."""


def square_area(side):
    return side * side


def rectangle_area(width, height):
    return width * height
]]

local VOLUME = [[
from shapes import rectangle_area, square_area


def cube_volume(side):
]]

local HOLES = [[
def triangle_area(base, height):
    return <FILL>


def circle_area(radius):
    return 3.14159 * radius * radius
]]

--- @param mode 'native'|'extmark'
return function(mode)
  local ns = mode == 'native' and H.native_ns or H.extmark_ns
  local ws = H.workspace({ ['shapes.py'] = SHAPES, ['volume.py'] = VOLUME, ['holes.py'] = HOLES })
  local child
  local tests = {}
  local function add(name, fn)
    table.insert(tests, { ('[%s] %s'):format(mode, name), fn })
  end

  local function ghost()
    local g = H.ghost(child, ns)
    if g and table.concat(g.lines, '\n'):match('%S') then
      return g
    end
    return nil
  end

  local function wait_ghost(what)
    local g = H.wait(ghost, H.ghost_ms, what or 'ghost text')
    print(('    ghost at %d:%d: %s'):format(g.row, g.col, vim.inspect(table.concat(g.lines, '\n'))))
    return g
  end

  local function wait_lines(expected, what)
    local ok = vim.wait(10000, function()
      return vim.deep_equal(child:lines(), expected)
    end, 50)
    if not ok then
      error(('%s: expected %s, got %s'):format(what, vim.inspect(expected), vim.inspect(child:lines())), 2)
    end
  end

  --- Replaces the buffer, puts the cursor at the end of the last line and enters insert mode there.
  local function insert_at_end(lines)
    child:input('<Esc>')
    H.wait(function()
      return child:mode() == 'n'
    end, 5000, 'normal mode')
    child:lua(
      [[
      local lines = ...
      vim.api.nvim_buf_set_lines(0, 0, -1, false, lines)
      vim.api.nvim_win_set_cursor(0, { #lines, 0 })
    ]],
      lines
    )
    child:input('A')
    H.wait(function()
      return child:mode() == 'i'
    end, 5000, 'insert mode')
  end

  add('starts the server for a real file and becomes ready', function()
    child = H.child(ws)
    child:lua(
      [[
      local cmd, ghost = ...
      require('repofill').setup({ cmd = { cmd, 'serve' }, ghost = ghost, settings = { maxLines = 4, maxTokens = 16, deadlineMs = 20000, holeCandidates = 1 } })
    ]],
      H.server,
      mode
    )
    child:cmd('edit volume.py')
    H.wait(function()
      local state = child:lua("return require('repofill.server').state")
      H.ok(state ~= 'error', 'server error: ' .. child:lua("return require('repofill.server').message"))
      return state == 'ready'
    end, H.startup_ms, 'the server to become ready')
    H.eq(child:lua("return require('repofill').statusline()"), 'RepoFill: ready', 'statusline')
    H.eq(child:lua("return require('repofill').backend() == require('repofill.native')"), mode == 'native', 'native renderer in use')
    H.eq(child:lua("return #vim.lsp.get_clients({ name = 'repofill', bufnr = 0 })"), 1, 'attached clients')
  end)

  add('insert mode shows ghost text as an extmark; <Tab> inserts exactly that text', function()
    child:cmd('normal! G')
    child:input('o')
    H.wait(function()
      return child:mode() == 'i'
    end, 5000, 'insert mode')
    child:input('return ')
    H.wait(function()
      return child:lines()[5] == '    return '
    end, 5000, 'the typed text')
    local before = child:lines()
    local g = wait_ghost()
    H.eq(g.row, 4, 'ghost row')
    H.eq(g.col, #'    return ', 'ghost column (the cursor)')
    H.eq(g.count, 1, 'one extmark')
    local expected = vim.deepcopy(before)
    expected[5] = before[5] .. g.lines[1]
    for i = 2, #g.lines do
      table.insert(expected, 4 + i, g.lines[i])
    end
    child:input('<Tab>')
    wait_lines(expected, 'buffer after <Tab>')
    H.eq(child:mode(), 'i', 'still in insert mode')
  end)

  add('<M-Right> accepts one word, <M-C-Right> one line, <C-]> dismisses', function()
    insert_at_end({ 'from shapes import square_area', '', '', 'def cube_area(side):', '    return 6 * ' })
    local g = wait_ghost('ghost text for the word accept')
    local full = table.concat(g.lines, '\n')
    local word = text.next_word(full)
    local prefix = '    return 6 * '
    child:input('<M-Right>')
    H.wait(function()
      return child:lines()[5] == prefix .. word:match('^[^\n]*')
    end, 10000, 'the word accept (' .. vim.inspect(word) .. ')')
    if mode == 'extmark' and #word < #full then
      local rest = H.wait(ghost, 5000, 'the rest of the ghost text')
      H.eq(table.concat(rest.lines, '\n'), full:sub(#word + 1), 'the ghost keeps the rest')
    end

    local before = child:lines()
    local g2 = wait_ghost('ghost text for the line accept')
    local line = text.next_line(table.concat(g2.lines, '\n'))
    local expected = vim.deepcopy(before)
    local parts = vim.split(line, '\n', { plain = true })
    expected[5] = before[5] .. parts[1]
    if parts[2] then
      table.insert(expected, 6, parts[2])
    end
    child:input('<M-C-Right>')
    wait_lines(expected, 'buffer after the line accept')

    insert_at_end({ 'def half(x):', '    return ' })
    wait_ghost('ghost text to dismiss')
    local kept = child:lines()
    child:input('<C-]>')
    H.wait(function()
      return H.ghost(child, ns) == nil
    end, 5000, 'the ghost text to go')
    H.eq(child:lines(), kept, 'dismiss leaves the buffer alone')
    H.eq(child:mode(), 'i', 'still in insert mode')
  end)

  add('keys fall back to their own meaning without ghost text', function()
    child:lua('vim.bo.expandtab = false; vim.bo.softtabstop = 0')
    insert_at_end({ 'x = 1', 'y' })
    child:lua("require('repofill').set({ enabled = false })")
    child:input('<Tab>')
    wait_lines({ 'x = 1', 'y\t' }, 'a literal tab')
    child:lua("require('repofill').set({ enabled = true })")
  end)

  add(':RepoFillToggle stops and restarts suggestions without a restart', function()
    child:input('<Esc>')
    child:cmd('RepoFillToggle')
    H.wait(function()
      return child:lua("return require('repofill').statusline()") == 'RepoFill: disabled'
    end, 10000, 'the disabled state')
    insert_at_end({ 'def half(x):', '    return ' })
    vim.wait(1500)
    H.eq(H.ghost(child, ns), nil, 'no ghost text while disabled')
    child:input('<Esc>')
    child:cmd('RepoFillToggle')
    H.wait(function()
      return child:lua("return require('repofill').statusline()") == 'RepoFill: ready'
    end, 10000, 'the ready state')
    insert_at_end({ 'def half(x):', '    return ' })
    wait_ghost('ghost text after enabling again')
  end)

  --- Arms `_G.hole_done` for the next RepoFillHoleDone (the answer of a fill).
  local function arm_done()
    child:lua([[
      _G.hole_done = nil
      vim.api.nvim_create_autocmd('User', { pattern = 'RepoFillHoleDone', once = true, callback = function(ev) _G.hole_done = ev.data end })
    ]])
  end

  --- Waits for the fill's answer (it comes after its edit is applied).
  local function wait_done()
    return H.wait(function()
      return H.value(child:lua('return _G.hole_done'))
    end, H.fill_ms, 'the fill to finish')
  end

  add(':RepoFillHole replaces the <FILL> marker and nothing else', function()
    child:input('<Esc>')
    H.wait(function()
      return child:mode() == 'n'
    end, 5000, 'normal mode')
    child:cmd('edit! holes.py')
    H.wait(function()
      return child:lua("return #vim.lsp.get_clients({ name = 'repofill', bufnr = 0 })") == 1
    end, 10000, 'the client to attach')
    local original = table.concat(child:lines(), '\n')
    local marker_at = original:find('<FILL>', 1, true)
    local prefix, suffix = original:sub(1, marker_at - 1), original:sub(marker_at + #'<FILL>')
    child:lua('vim.api.nvim_win_set_cursor(0, { 2, 4 })')
    arm_done()
    child:cmd('RepoFillHole')
    local filled = H.wait(function()
      local now = table.concat(child:lines(), '\n')
      return not now:find('<FILL>', 1, true) and now
    end, H.fill_ms, 'the marker to be replaced')
    H.eq(filled:sub(1, #prefix), prefix, 'text before the hole')
    H.eq(filled:sub(-#suffix), suffix, 'text after the hole')
    local inserted = filled:sub(#prefix + 1, #filled - #suffix)
    H.ok(inserted:match('%S'), 'the hole got code: ' .. vim.inspect(inserted))
    -- the answer comes after the edit: the next test must not take it for its own
    wait_done()
  end)

  -- the command does not depend on the renderer: the range form runs in one of the suites
  local add_range = mode == 'extmark' and add or function() end

  --- Sets the buffer, puts the cursor at `pos` (if given), runs `ex` and waits for an applied fill.
  local function fill(lines, pos, ex)
    arm_done()
    child:lua(
      [[
      local lines, pos = ...
      vim.api.nvim_buf_set_lines(0, 0, -1, false, lines)
      if pos ~= vim.NIL and pos ~= nil then vim.api.nvim_win_set_cursor(0, pos) end
    ]],
      lines,
      pos or vim.NIL
    )
    child:cmd(ex)
    local done = wait_done()
    H.eq(done.applied, true, 'applied (' .. vim.inspect(done) .. ')')
    return done
  end
  add_range(':{range}RepoFillHole replaces the selected lines and nothing else', function()
    local done = fill({ 'def area(w, h):', '    pass', '', '', 'print(area(2, 3))' }, nil, '2RepoFillHole')
    local lines = child:lines()
    H.eq(lines[1], 'def area(w, h):', 'line before the range')
    H.eq(vim.list_slice(lines, #lines - 2), { '', '', 'print(area(2, 3))' }, 'lines after the range')
    local body = table.concat(vim.list_slice(lines, 2, #lines - 3), '\n')
    H.eq(body, done.text, 'the range now holds the reported text')
  end)

  add_range(':RepoFillHole fills a <FILL> marker inside an expression (perim = <FILL>)', function()
    fill({ 'import math', '', '', 'def circle(radius):', '    perim = <FILL>', '    return perim', '' }, { 5, 4 }, 'RepoFillHole')
    local lines = child:lines()
    H.eq(vim.list_slice(lines, 1, 4), { 'import math', '', '', 'def circle(radius):' }, 'lines before the hole')
    H.ok(lines[5]:match('^    perim = %S'), 'the marker became code: ' .. vim.inspect(lines[5]))
    H.ok(not table.concat(lines, '\n'):find('<FILL>', 1, true), 'no marker left')
    H.eq(lines[#lines - 1], '    return perim', 'the line after the hole')
  end)

  add(':RepoFillContext opens the context for the cursor', function()
    child:lua('vim.api.nvim_win_set_cursor(0, { 1, 0 })')
    local windows = child:lua('return #vim.api.nvim_list_wins()')
    child:cmd('RepoFillContext')
    H.wait(function()
      return child:lua('return #vim.api.nvim_list_wins()') == windows + 1
    end, H.ghost_ms, 'the context window')
    H.eq(child:lua('return vim.bo.filetype'), 'repofill-context', 'context buffer')
    H.ok(#table.concat(child:lines(), '\n') > 0, 'context text')
  end)

  add(':checkhealth repofill reports the command, the model and the index', function()
    child:cmd('checkhealth repofill')
    local report = table.concat(child:lines(), '\n')
    H.ok(report:find(H.server, 1, true), 'names the server command:\n' .. report)
    H.ok(report:find('model: ', 1, true), 'reports the model:\n' .. report)
    H.ok(report:find('index: ', 1, true), 'reports the index:\n' .. report)
    H.ok(not report:find('ERROR', 1, true), 'no errors:\n' .. report)
  end)

  add('stops cleanly', function()
    child:stop()
    vim.fn.delete(ws, 'rf')
  end)

  return tests
end
