--- Starting `repofill serve` for buffers, tracking its state, and reporting failures.
local compat = require('repofill.compat')
local config = require('repofill.config')

local M = {}

M.NAME = 'repofill'

--- 'stopped' | 'starting' | 'ready' | 'working' | 'error' | 'disabled'
M.state = 'stopped'
M.message = ''
--- The last failure to start or run the server (for :checkhealth), or nil.
M.last_error = nil

local notified = {} ---@type table<string, boolean>
local initialized = {} ---@type table<integer, boolean>
local stopping = {} ---@type table<integer, boolean>

local function redraw()
  pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'RepoFillStatus', modeline = false })
  pcall(vim.cmd.redrawstatus)
end

--- @param state string
--- @param message string?
function M.set_state(state, message)
  M.state = state
  M.message = message or ''
  redraw()
end

--- Reports a failure once per distinct message: vim.notify at ERROR level, and kept for :checkhealth.
--- @param message string
function M.fail(message)
  M.last_error = message
  M.set_state('error', message)
  if not notified[message] then
    notified[message] = true
    -- scheduled: an ERROR notify inside an autocmd (e.g. while :edit runs) would abort that command
    vim.schedule(function()
      vim.notify(message, vim.log.levels.ERROR, { title = 'RepoFill' })
    end)
  end
end

--- Forget reported failures (a restart or a new setup() tries again).
function M.reset()
  notified = {}
  M.last_error = nil
  M.set_state('stopped', '')
end

--- @param cmd string[]
--- @return string
function M.describe(cmd)
  return table.concat(cmd, ' ')
end

--- The last lines the server wrote to stderr, as Neovim's LSP log recorded them (best effort).
--- @param program string cmd[1]
--- @return string?
function M.stderr_tail(program)
  local ok, path = pcall(vim.lsp.get_log_path)
  if not ok or not path then
    return nil
  end
  local file = io.open(path, 'rb')
  if not file then
    return nil
  end
  local size = file:seek('end')
  file:seek('set', math.max(0, size - 65536))
  local data = file:read('*a') or ''
  file:close()
  local last
  local needle = vim.inspect(program) .. '\t"stderr"\t'
  for line in data:gmatch('[^\n]+') do
    local at = line:find(needle, 1, true)
    if at then
      last = line:sub(at + #needle)
    end
  end
  if not last then
    return nil
  end
  local chunk = last:gsub('^"', ''):gsub('"%s*$', ''):gsub('\\n', '\n'):gsub('\\t', '\t'):gsub('\\"', '"'):gsub('\\\\', '\\')
  local lines = {}
  for l in chunk:gmatch('[^\n]+') do
    if l:match('%S') then
      table.insert(lines, vim.trim(l))
    end
  end
  return lines[#lines]
end

--- Our client for a buffer, or nil.
--- @param bufnr integer?
function M.client(bufnr)
  return vim.lsp.get_clients({ name = M.NAME, bufnr = bufnr })[1]
end

--- @param code integer
--- @param signal integer
--- @param client_id integer
--- @param cmd string[]
local function on_exit(code, signal, client_id, cmd)
  local was_initialized = initialized[client_id]
  initialized[client_id] = nil
  if stopping[client_id] then
    stopping[client_id] = nil
    M.set_state('stopped', '')
    return
  end
  local how = signal ~= 0 and ('was killed by signal %d'):format(signal) or ('exited with code %d'):format(code)
  local tail = M.stderr_tail(cmd[1])
  local detail = tail and (': ' .. tail) or ('. Its output is in the LSP log: ' .. vim.lsp.get_log_path())
  if not was_initialized then
    M.fail(('RepoFill: the server `%s` %s while starting%s. Run :checkhealth repofill.'):format(M.describe(cmd), how, detail))
  elseif code ~= 0 or (signal ~= 0 and signal ~= 15) then
    M.fail(('RepoFill: the server `%s` stopped: it %s%s. :RepoFillRestart starts it again.'):format(M.describe(cmd), how, detail))
  else
    M.set_state('stopped', '')
  end
end

--- Starts (or reuses) the server for a buffer and attaches it.
--- @param bufnr integer
--- @param options table merged setup() options
--- @return integer? client_id
function M.start(bufnr, options)
  local cmd = config.server_cmd(options)
  if vim.fn.executable(cmd[1]) ~= 1 then
    M.fail(
      ("RepoFill: cannot start the server: `%s` was not found or is not executable (command: `%s`). Install RepoFill or set `cmd` or `python` in require('repofill').setup()."):format(
        cmd[1],
        M.describe(cmd)
      )
    )
    return nil
  end
  local root = vim.fs.root(bufnr, options.root_markers) or vim.fn.getcwd()
  local settings = config.wire_settings(options.settings)
  if M.client() == nil and M.last_error == nil then
    M.set_state('starting', '')
  end
  local ok, client_id = pcall(vim.lsp.start, {
    name = M.NAME,
    cmd = cmd,
    root_dir = root,
    init_options = settings,
    settings = { repofill = settings },
    handlers = {
      ['repofill/status'] = function(_, result)
        if type(result) == 'table' and type(result.state) == 'string' then
          M.set_state(result.state, type(result.message) == 'string' and result.message or '')
          if result.state == 'error' then
            M.last_error = M.message
          end
        end
      end,
    },
    on_init = function(client)
      initialized[client.id] = true
    end,
    on_exit = function(code, signal, id)
      vim.schedule(function()
        on_exit(code, signal, id, cmd)
      end)
    end,
  }, { bufnr = bufnr, silent = true })
  if not ok then
    M.fail(('RepoFill: cannot start the server `%s`: %s'):format(M.describe(cmd), tostring(client_id)))
    return nil
  end
  if client_id == nil then
    M.fail(('RepoFill: cannot start the server `%s`; see the LSP log: %s'):format(M.describe(cmd), vim.lsp.get_log_path()))
  end
  return client_id
end

--- Sends the current settings to every running RepoFill server (no restart).
--- @param settings table
function M.push_settings(settings)
  local wire = config.wire_settings(settings)
  for _, client in ipairs(vim.lsp.get_clients({ name = M.NAME })) do
    client.settings = { repofill = wire }
    compat.notify(client, 'workspace/didChangeConfiguration', { settings = { repofill = wire } })
  end
end

--- Stops every RepoFill server.
function M.stop_all()
  for _, client in ipairs(vim.lsp.get_clients({ name = M.NAME })) do
    stopping[client.id] = true
    compat.stop(client, true)
  end
end

return M
