-- What the plugin does with the server's answers, against a scripted server (fake_server.py):
-- stale answers, ranged items, several candidates, a failed request, :e!, the loading state,
-- progress. A child Neovim runs the plugin; keys go through its main loop.
-- nvim --headless --clean -l editors/neovim/tests/test_protocol.lua
local dir = vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2))
local H = dofile(vim.fs.joinpath(dir, 'helpers.lua'))

local PYTHON = os.getenv('REPOFILL_PYTHON') or 'python3'
local FAKE = vim.fs.joinpath(H.tests_dir, 'fake_server.py')
local ERROR = vim.log.levels.ERROR

--- A child with the plugin on the scripted server, editing a.py; `fake` scripts the server,
--- `extra` adds settings, `opts` setup() options, `files` replaces the workspace's files.
local function start(fake, ghost, extra, opts, files)
  local ws = H.workspace(files or { ['a.py'] = 'x = 1\n', ['b.py'] = 'y = 2\n' })
  local child = H.child(ws)
  local log = ws .. '/requests.jsonl'
  child:lua(
    [[
    local cmd, ghost, fake, log, extra, opts = ...
    vim.env.REPOFILL_FAKE_LOG = log
    local settings = vim.tbl_extend('force', { fake = fake }, extra or {})
    require('repofill').setup(vim.tbl_extend('force', { cmd = cmd, ghost = ghost, settings = settings }, opts))
  ]],
    { PYTHON, FAKE },
    ghost or 'native',
    fake or {},
    log,
    extra or {},
    opts or {}
  )
  child:cmd('edit a.py')
  H.wait(function()
    return child:lua("local c = vim.lsp.get_clients({ name = 'repofill', bufnr = 0 })[1]; return c ~= nil and c.initialized == true")
  end, 20000, 'the scripted server')
  local function requests(method)
    local out = {}
    if vim.fn.filereadable(log) == 1 then
      for _, line in ipairs(vim.fn.readfile(log)) do
        local msg = vim.json.decode(line)
        if msg.method == method then
          table.insert(out, msg)
        end
      end
    end
    return out
  end
  return child, ws, requests
end

local function stop(child, ws)
  child:stop()
  vim.fn.delete(ws, 'rf')
end

--- Replaces the buffer with `line`, cursor at byte `col` (default: end), insert mode.
local function insert_at(child, line, col)
  child:input('<Esc>')
  H.wait(function()
    return child:mode() == 'n'
  end, 5000, 'normal mode')
  child:lua(
    [[
    local line, col = ...
    vim.api.nvim_buf_set_lines(0, 0, -1, false, { line })
    vim.api.nvim_win_set_cursor(0, { 1, col })
  ]],
    line,
    col or #line
  )
  child:input(col and col < #line and 'i' or 'a')
  H.wait(function()
    return child:mode() == 'i'
  end, 5000, 'insert mode')
end

--- The native ghost: { col, text, pos } of the extmark Neovim draws, or nil.
local function native_ghost(child)
  return H.value(child:lua([[
    local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
    local marks = ns and vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true }) or {}
    if #marks == 0 then return nil end
    local d = marks[1][4]
    -- the first chunk is the suggestion; a second one is the "(1/3)" index
    local text = d.virt_text and d.virt_text[1] and d.virt_text[1][1] or ''
    return { col = marks[1][3], text = text, pos = d.virt_text_pos }
  ]]))
end

local function line1(child)
  return child:lines()[1]
end

local MOVE = 'repofill/didMoveCursor'
--- a.py for the didMoveCursor tests: line 3 has characters of 2, 3 and 4 UTF-8 bytes (the last
--- two UTF-16 units), so `tail` starts at byte 18 but UTF-16 character 13.
local MOVE_FILES = {
  ['a.py'] = table.concat({ 'import os', 'x = 1', 's = "é€😀" + tail', 'def f():', '    return x', 'y = 2', 'z = 3', 'w = 4', '' }, '\n'),
  ['b.py'] = 'y = 2\n',
}

--- Waits until `n` didMoveCursor notifications arrived, then rests 600 ms more (four times the
--- plugin's 150 ms) so that one too many would show; returns them all.
local function moves(requests, n, what)
  H.wait(function()
    return #requests(MOVE) >= n
  end, 10000, what)
  vim.wait(600)
  return requests(MOVE)
end

--- The uri the server got in textDocument/didOpen for `name`.
local function opened_uri(requests, name)
  for _, msg in ipairs(requests('textDocument/didOpen')) do
    local uri = msg.params.textDocument.uri
    if vim.endswith(uri, '/' .. name) then
      return uri
    end
  end
  error('no didOpen for ' .. name)
end

--- Keys one at a time, `gap_ms` apart (a person's pace).
local function keys(child, list, gap_ms)
  for _, k in ipairs(list) do
    child:input(k)
    vim.wait(gap_ms)
  end
end

local tests = {
  {
    'native: typing a character the ghost does not continue hides it at once; Tab then inserts no stale text',
    function()
      local child, ws = start({ items = { 'SUGGESTION' }, delay_ms = 3000 })
      insert_at(child, 'x = ')
      local g = H.wait(function()
        return native_ghost(child)
      end, 15000, 'the ghost')
      H.eq(g.text, 'SUGGESTION', 'ghost')
      child:input('q')
      H.wait(function()
        return line1(child) == 'x = q'
      end, 5000, 'the typed character')
      -- the next answer comes 200 ms + 3 s later: until then nothing may be shown
      H.eq(native_ghost(child), nil, 'ghost after typing q')
      child:lua('vim.bo.expandtab = true; vim.bo.softtabstop = 4; vim.bo.shiftwidth = 4')
      child:input('<Tab>')
      H.wait(function()
        return line1(child) ~= 'x = q'
      end, 5000, 'Tab to act')
      H.ok(line1(child):match('^x = q%s+$'), 'Tab inserted a stale suggestion: ' .. vim.inspect(line1(child)))
      stop(child, ws)
    end,
  },
  {
    'native: an answer for a buffer that changed while it was made is dropped',
    function()
      local child, ws = start({ items = { 'LATE' }, delay_ms = 1500 })
      insert_at(child, 'x = ')
      child:lua([[
        _G.got = nil
        local client = vim.lsp.get_clients({ name = 'repofill', bufnr = 0 })[1]
        local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
        params.context = { triggerKind = 2 }
        client:request('textDocument/inlineCompletion', params, function(err, result) _G.got = { err = err, result = result } end, 0)
      ]])
      child:input('z')
      local got = H.wait(function()
        return H.value(child:lua('return _G.got'))
      end, 10000, 'the answer')
      H.eq(#got.result.items, 0, 'items handed to Neovim for changed text')
      stop(child, ws)
    end,
  },
  {
    'native: a ranged item is drawn inline at the cursor (the code after it stays) and Tab inserts it',
    function()
      local child, ws = start({ items = { 'radius' }, range = 'word' })
      local line = 'print(circle_area(ra), "is the area")'
      insert_at(child, line, #'print(circle_area(ra')
      local g = H.wait(function()
        return native_ghost(child)
      end, 15000, 'the ghost')
      H.eq(g, { col = #'print(circle_area(ra', text = 'dius', pos = 'inline' }, 'ghost')
      child:input('<Tab>')
      H.wait(function()
        return line1(child) == 'print(circle_area(radius), "is the area")'
      end, 5000, 'the accepted text: ' .. vim.inspect(line1(child)))
      stop(child, ws)
    end,
  },
  {
    ':e! and :e detach the client and attach it again; the buffer flag follows',
    function()
      local child, ws = start({})
      for _, ex in ipairs({ 'edit!', 'edit', 'edit b.py', 'edit a.py' }) do
        child:cmd(ex)
        H.wait(function()
          local n = child:lua("return #vim.lsp.get_clients({ name = 'repofill', bufnr = 0 })")
          local flag = H.value(child:lua('return vim.b.repofill_client'))
          local id = child:lua("local c = vim.lsp.get_clients({ name = 'repofill', bufnr = 0 })[1]; return c and c.id or -1")
          return n == 1 and flag == id
        end, 10000, 'the client attached after :' .. ex)
      end
      stop(child, ws)
    end,
  },
  {
    'a failed request is logged and kept for :RepoFillStatus, never a notification (no Press ENTER)',
    function()
      local problem = 'prompt of 5000 tokens does not fit the context window (4096)'
      local child, ws, requests = start({ error = problem })
      insert_at(child, 'x = ')
      H.wait(function()
        return #requests('textDocument/inlineCompletion') > 0
          and child:lua("return require('repofill.server').last_problem") == problem
      end, 15000, 'the failed request')
      child:input('ab')
      vim.wait(1500)
      for _, note in ipairs(child:lua('return _G.notes')) do
        H.ok(not note.msg:find('does not fit', 1, true), 'notified: ' .. note.msg)
      end
      H.eq(child:lua("return require('repofill').statusline()"), 'RepoFill: ready', 'statusline')
      H.ok(child:lua("return require('repofill').status()"):find(problem, 1, true), 'status names the problem')
      H.eq(line1(child), 'x = ab', 'typing went on')
      stop(child, ws)
    end,
  },
  {
    'Alt+] and Alt+[ with no ghost type nothing (both renderers)',
    function()
      for _, ghost in ipairs({ 'native', 'extmark' }) do
        local child, ws = start({}, ghost, { enabled = false })
        insert_at(child, 'x = 1')
        child:input('<M-]><M-[><M-]>')
        vim.wait(500)
        H.eq(line1(child), 'x = 1', ghost .. ': buffer')
        H.eq(child:mode(), 'i', ghost .. ': mode')
        stop(child, ws)
      end
    end,
  },
  {
    'native: Alt+] asks explicitly and cycles through several suggestions; Tab inserts the one shown',
    function()
      local child, ws, requests = start({ items = { 'auto' }, invoked = { 'one', 'two', 'three' } }, 'native', { candidates = 3 })
      insert_at(child, 'x = ')
      H.wait(function()
        local g = native_ghost(child)
        return g and g.text == 'auto'
      end, 15000, 'the automatic ghost')
      child:input('<M-]>')
      H.wait(function()
        local g = native_ghost(child)
        return g and g.text == 'one'
      end, 15000, 'the first of the explicit suggestions')
      local invoked = 0
      for _, r in ipairs(requests('textDocument/inlineCompletion')) do
        if r.params.context.triggerKind == 1 then
          invoked = invoked + 1
        end
      end
      H.ok(invoked >= 1, 'an Invoked request')
      child:input('<M-]>')
      H.wait(function()
        local g = native_ghost(child)
        return g and g.text == 'two'
      end, 5000, 'the next suggestion')
      child:input('<M-[><M-[>')
      H.wait(function()
        local g = native_ghost(child)
        return g and g.text == 'three'
      end, 5000, 'previous wraps around')
      child:input('<Tab>')
      H.wait(function()
        return line1(child) == 'x = three'
      end, 5000, 'Tab inserts the one shown')
      stop(child, ws)
    end,
  },
  {
    ':checkhealth repofill says "loading" while the model loads, not ERROR',
    function()
      local child, ws = start({ state = 'starting', message = 'loading the model', model = '' })
      child:cmd('checkhealth repofill')
      local report = table.concat(child:lines(), '\n')
      H.ok(report:find('loading', 1, true), report)
      H.ok(not report:find('ERROR', 1, true), report)
      H.ok(not report:find('no model loaded', 1, true), report)
      stop(child, ws)
    end,
  },
  {
    ':checkhealth repofill reads modelState "loading" (servers that report it)',
    function()
      local child, ws = start({ state = 'ready', model_state = 'loading', model = '' })
      child:cmd('checkhealth repofill')
      local report = table.concat(child:lines(), '\n')
      H.ok(report:find('loading', 1, true), report)
      H.ok(not report:find('ERROR', 1, true), report)
      stop(child, ws)
    end,
  },
  {
    'a fill in progress: the statusline says working, :RepoFillStatus says busy, the command line shows progress',
    function()
      local child, ws = start({ fill_ms = 4000 })
      child:cmd('RepoFillHole')
      H.wait(function()
        return child:lua("return require('repofill').statusline()") == 'RepoFill: working'
      end, 10000, 'the working state')
      H.ok(child:lua("return require('repofill').status()"):find('busy: Fill this hole', 1, true), 'status')
      H.wait(function()
        return child:lua("return require('repofill').statusline()") == 'RepoFill: ready'
      end, 15000, 'ready after the fill')
      stop(child, ws)
    end,
  },
  {
    'after a fill the cursor is where the inserted text ends (the fill result\'s cursor)',
    function()
      local child, ws = start({ fill_text = 'z = 3; ', fill_ms = 200 })
      child:lua("vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'x = 1', 'y = 2' }); vim.api.nvim_win_set_cursor(0, { 2, 0 })")
      child:cmd('RepoFillHole')
      H.wait(function()
        return child:lines()[2] == 'z = 3; y = 2'
      end, 10000, 'the fill')
      H.wait(function()
        return vim.deep_equal(child:lua('return vim.api.nvim_win_get_cursor(0)'), { 2, 7 })
      end, 5000, 'the cursor at the end of the fill: ' .. vim.inspect(child:lua('return vim.api.nvim_win_get_cursor(0)')))
      stop(child, ws)
    end,
  },
  {
    'ghost text has a terminal colour, different from NonText (the ~ filler), in both renderers',
    function()
      local child, ws = start({})
      local hl = child:lua([[
        local function get(name) return vim.api.nvim_get_hl(0, { name = name, link = false }) end
        return { ghost = get('RepoFillGhost'), hint = get('ComplHint'), nontext = get('NonText'), normal = get('Normal') }
      ]])
      H.ok(hl.ghost.ctermfg ~= nil, 'RepoFillGhost has a ctermfg: ' .. vim.inspect(hl.ghost))
      H.ok(hl.hint.ctermfg ~= nil, 'ComplHint has a ctermfg: ' .. vim.inspect(hl.hint))
      H.ok(hl.hint.ctermfg ~= hl.nontext.ctermfg or hl.hint.italic, 'ComplHint differs from NonText')
      H.ok(hl.ghost.ctermfg ~= hl.normal.ctermfg, 'differs from Normal')
      stop(child, ws)
    end,
  },
  {
    'didMoveCursor: opening a file sends one; j, k and a search jump, each then a rest, send exactly one with the uri and the UTF-16 position',
    function()
      local child, ws, requests = start({}, nil, nil, nil, MOVE_FILES)
      local got = moves(requests, 1, 'the notification for the opened file')
      local a = opened_uri(requests, 'a.py')
      H.eq(#got, 1, 'notifications after opening')
      H.eq(got[1].id, nil, 'a notification has no id')
      H.eq(got[1].params, { textDocument = { uri = a }, position = { line = 0, character = 0 } }, 'on open')
      child:input('j')
      got = moves(requests, 2, 'the notification after j')
      H.eq(#got, 2, 'notifications after j')
      H.eq(got[2].params, { textDocument = { uri = a }, position = { line = 1, character = 0 } }, 'after j')
      child:input('k')
      got = moves(requests, 3, 'the notification after k')
      H.eq(#got, 3, 'notifications after k')
      H.eq(got[3].params.position, { line = 0, character = 0 }, 'after k')
      child:input('/tail<CR>')
      got = moves(requests, 4, 'the notification after the search')
      H.eq(child:lua('return vim.api.nvim_win_get_cursor(0)'), { 3, 18 }, 'cursor (byte column)')
      H.eq(#got, 4, 'notifications after the search')
      H.eq(got[4].params, { textDocument = { uri = a }, position = { line = 2, character = 13 } }, 'after the search (UTF-16)')
      stop(child, ws)
    end,
  },
  {
    'didMoveCursor: several quick moves (j five times, 30 ms apart) send one, where the cursor rests',
    function()
      local child, ws, requests = start({}, nil, nil, nil, MOVE_FILES)
      moves(requests, 1, 'the notification for the opened file')
      keys(child, { 'j', 'j', 'j', 'j', 'j' }, 30)
      local got = moves(requests, 2, 'the notification after the moves')
      H.eq(#got, 2, 'notifications after five quick moves')
      H.eq(got[2].params.position, { line = 5, character = 0 }, 'where the cursor rests')
      stop(child, ws)
    end,
  },
  {
    'didMoveCursor: typing in insert mode sends none (inline-completion requests go instead); an arrow key there then a rest sends one',
    function()
      local child, ws, requests = start({}, nil, nil, nil, MOVE_FILES)
      moves(requests, 1, 'the notification for the opened file')
      child:input('j')
      moves(requests, 2, 'the notification after j')
      child:input('i')
      H.wait(function()
        return child:mode() == 'i'
      end, 5000, 'insert mode')
      keys(child, { 'a', 'b', 'c', 'd', 'e', 'f' }, 80)
      H.wait(function()
        return child:lines()[2] == 'abcdefx = 1'
      end, 5000, 'the typed text')
      H.wait(function()
        return #requests('textDocument/inlineCompletion') > 0
      end, 10000, 'inline-completion requests')
      local got = moves(requests, 2, 'nothing')
      H.eq(#got, 2, 'notifications after typing six characters: ' .. vim.inspect(got[#got].params))
      -- an arrow key in insert mode moves without a change: that rest counts
      keys(child, { '<Left>', '<Left>' }, 30)
      got = moves(requests, 3, 'the notification after <Left><Left> in insert mode')
      H.eq(#got, 3, 'notifications after <Left><Left>')
      H.eq(got[3].params.position, { line = 1, character = 4 }, 'after <Left><Left>')
      stop(child, ws)
    end,
  },
  {
    'didMoveCursor: entering another attached buffer sends one; focus regained sends one; a buffer not attached none',
    function()
      local child, ws, requests = start({}, nil, nil, nil, MOVE_FILES)
      moves(requests, 1, 'the notification for the opened file')
      child:input('j')
      moves(requests, 2, 'the notification after j')
      child:cmd('edit b.py')
      local got = moves(requests, 3, 'the notification for b.py')
      H.eq(#got, 3, 'notifications after :edit b.py')
      H.eq(got[3].params, { textDocument = { uri = opened_uri(requests, 'b.py') }, position = { line = 0, character = 0 } }, 'b.py')
      child:cmd('buffer a.py')
      got = moves(requests, 4, 'the notification for a.py again')
      H.eq(#got, 4, 'notifications after :buffer a.py')
      H.eq(got[4].params, { textDocument = { uri = opened_uri(requests, 'a.py') }, position = { line = 1, character = 0 } }, 'a.py')
      child:cmd('doautocmd FocusGained')
      got = moves(requests, 5, 'the notification when focus returns')
      H.eq(#got, 5, 'notifications after FocusGained')
      H.eq(got[5].params.position, { line = 1, character = 0 }, 'on focus')
      child:cmd('enew')
      child:input('ihello<Esc>')
      child:cmd('doautocmd FocusGained')
      got = moves(requests, 5, 'nothing')
      H.eq(#got, 5, 'notifications in a buffer without the client')
      stop(child, ws)
    end,
  },
  {
    'didMoveCursor: none with prewarm = false, none while completion is disabled',
    function()
      local child, ws, requests = start({}, nil, nil, { prewarm = false }, MOVE_FILES)
      keys(child, { 'j', '/tail<CR>' }, 300)
      child:cmd('edit b.py')
      vim.wait(600)
      H.eq(#requests(MOVE), 0, 'notifications with prewarm = false')
      stop(child, ws)
      child, ws, requests = start({}, nil, nil, nil, MOVE_FILES)
      moves(requests, 1, 'the notification for the opened file')
      child:lua("require('repofill').set({ enabled = false })")
      child:input('j')
      H.eq(#moves(requests, 1, 'nothing'), 1, 'notifications while disabled')
      child:lua("require('repofill').set({ enabled = true })")
      child:input('j')
      local got = moves(requests, 2, 'the notification once enabled again')
      H.eq(#got, 2, 'notifications once enabled again')
      H.eq(got[2].params.position, { line = 2, character = 0 }, 'once enabled again')
      stop(child, ws)
    end,
  },
}

H.run(tests)
