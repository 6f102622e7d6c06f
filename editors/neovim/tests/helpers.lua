--- Test helpers: drive a real child Neovim (`nvim --embed --headless`) over RPC, so keys go
--- through its main loop exactly as typed (insert mode, mappings, autocmds, timers).
---
--- Run a test file with: nvim --headless --clean -l editors/neovim/tests/test_native.lua
--- Environment: REPOFILL_CMD (the `repofill` executable; default `repofill` on PATH).
local H = {}

local this = debug.getinfo(1, 'S').source:sub(2)
H.tests_dir = vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(this, ':p')))
H.root = vim.fs.dirname(H.tests_dir)
H.server = os.getenv('REPOFILL_CMD') or 'repofill'
H.startup_ms = tonumber(os.getenv('REPOFILL_TEST_STARTUP_MS') or '') or 120000
H.ghost_ms = tonumber(os.getenv('REPOFILL_TEST_GHOST_MS') or '') or 60000
--- Fill this hole generates and ranks several candidates: slower than a ghost text.
H.fill_ms = tonumber(os.getenv('REPOFILL_TEST_FILL_MS') or '') or 180000

H.native_ns = 'nvim.lsp.inline_completion'
H.extmark_ns = 'repofill.ghost'

--- Polls `fn` every 50 ms until it returns a truthy value; errors after `timeout_ms`.
function H.wait(fn, timeout_ms, what)
  local value
  local ok = vim.wait(timeout_ms, function()
    value = fn()
    return value
  end, 50)
  if not ok then
    error(('timed out after %d ms waiting for %s'):format(timeout_ms, what), 2)
  end
  return value
end

function H.eq(actual, expected, what)
  if not vim.deep_equal(actual, expected) then
    error(('%s: expected %s, got %s'):format(what or 'value', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

function H.ok(value, what)
  if not value then
    error(what or 'assertion failed', 2)
  end
  return value
end

--- A temporary folder with `files` ({ name = text }).
function H.workspace(files)
  local dir = vim.fn.tempname() .. '-repofill-ws'
  vim.fn.mkdir(dir, 'p')
  for name, text in pairs(files or {}) do
    local f = assert(io.open(dir .. '/' .. name, 'w'))
    f:write(text)
    f:close()
  end
  return dir
end

--- A child Neovim with the plugin on its runtimepath, started in `cwd`.
--- @return table child with :lua(code, ...), :cmd(ex), :input(keys), :lines(), :stop()
function H.child(cwd)
  local argv = {
    vim.v.progpath,
    '--embed',
    '--headless',
    '--clean',
    '-n',
    '--cmd',
    'set rtp^=' .. vim.fn.fnameescape(H.root),
  }
  -- a private state dir: the child's LSP log must not mix with the user's
  local state = vim.fn.tempname() .. '-repofill-state'
  vim.fn.mkdir(state, 'p')
  local chan = vim.fn.jobstart(argv, { rpc = true, cwd = cwd, env = { XDG_STATE_HOME = state } })
  assert(chan > 0, 'could not start a child nvim')
  local child = { chan = chan, cwd = cwd }
  function child:lua(code, ...)
    return vim.rpcrequest(self.chan, 'nvim_exec_lua', code, { ... })
  end
  function child:cmd(ex)
    return vim.rpcrequest(self.chan, 'nvim_command', ex)
  end
  function child:input(keys)
    return vim.rpcrequest(self.chan, 'nvim_input', keys)
  end
  function child:lines()
    return self:lua('return vim.api.nvim_buf_get_lines(0, 0, -1, false)')
  end
  function child:mode()
    return self:lua('return vim.api.nvim_get_mode().mode')
  end
  function child:stop()
    pcall(vim.rpcrequest, self.chan, 'nvim_command', 'qall!')
    pcall(vim.fn.jobstop, self.chan)
  end
  -- record notifications (vim.notify) for assertions
  child:lua([[
    _G.notes = {}
    local notify = vim.notify
    vim.notify = function(msg, level, opts)
      table.insert(_G.notes, { msg = tostring(msg), level = level or vim.log.levels.INFO })
      pcall(notify, msg, level, opts)
    end
  ]])
  return child
end

--- The ghost text drawn in namespace `ns` of the child's current buffer: { row, col, lines }.
function H.ghost(child, ns)
  return H.value(child:lua(
    [[
    local ns = vim.api.nvim_get_namespaces()[...]
    if not ns then return nil end
    local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
    if #marks == 0 then return nil end
    local d = marks[1][4]
    local first = ''
    for _, chunk in ipairs(d.virt_text or {}) do first = first .. chunk[1] end
    local lines = { first }
    for _, vl in ipairs(d.virt_lines or {}) do
      local s = ''
      for _, chunk in ipairs(vl) do s = s .. chunk[1] end
      table.insert(lines, s)
    end
    return { row = marks[1][2], col = marks[1][3], lines = lines, count = #marks }
  ]],
    ns
  ))
end

--- nil for an RPC null.
function H.value(v)
  if v == vim.NIL then
    return nil
  end
  return v
end

--- Runs { {name, fn}, ... }; prints PASS/FAIL lines; exits non-zero on any failure.
function H.run(tests)
  local failed = 0
  for _, t in ipairs(tests) do
    local started = vim.uv.hrtime()
    local ok, err = xpcall(t[2], debug.traceback)
    local ms = math.floor((vim.uv.hrtime() - started) / 1e6)
    if ok then
      print(('PASS %s (%d ms)'):format(t[1], ms))
    else
      failed = failed + 1
      print(('FAIL %s (%d ms)\n%s'):format(t[1], ms, err))
    end
  end
  print(('%d passed, %d failed'):format(#tests - failed, failed))
  io.stdout:flush()
  if failed > 0 then
    vim.cmd('cquit 1')
  end
end

return H
