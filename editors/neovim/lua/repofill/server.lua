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

--- The last failure of one request (e.g. a prompt too long for the model), for :RepoFillStatus.
M.last_problem = nil
--- `$/progress` in flight (Fill this hole, indexing): token -> { title, message, percentage }.
M.progress = {} ---@type table<any, { title: string, message: string?, percentage: integer? }>

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
  local key = message:gsub('^RepoFill: ', '')
  if not notified[key] then
    notified[key] = true
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
  M.last_problem = nil
  M.progress = {}
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
  local ok, path = pcall(compat.log_path)
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

--- A request that failed (an LSP error answer, or a server error message while it runs): logged
--- and kept for :RepoFillStatus; never a prompt while the user types.
--- @param err table|string
function M.request_failed(err)
  local message = type(err) == 'table' and tostring(err.message or vim.inspect(err)) or tostring(err)
  message = message:gsub('^RepoFill: ', '')
  compat.log('warn', message)
  M.last_problem = message
  redraw()
end

--- Whether work the user started runs (Fill this hole, reported with `$/progress`); the
--- index build in the background does not count.
function M.busy()
  return M.progress_line() ~= nil
end

local function is_fill(p)
  return (p.title or ''):find('Fill', 1, true) ~= nil
end

--- One line for the fill in progress, e.g. "Fill this hole 40%: generating candidates", or nil.
function M.progress_line()
  for _, p in pairs(M.progress) do
    if is_fill(p) then
      local title = (p.title or ''):gsub('^RepoFill: ', '')
      local pct = p.percentage and (' %d%%'):format(p.percentage) or ''
      local msg = p.message and p.message ~= '' and (': ' .. p.message) or ''
      return title .. pct .. msg
    end
  end
  return nil
end

--- LspProgress from our client: tracks the work and shows a fill's progress on the command line
--- (one line, cut to fit: never a prompt).
--- @param args table the LspProgress autocmd's arguments
function M.on_progress(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  local params = args.data.params
  if not client or client.name ~= M.NAME or type(params) ~= 'table' or type(params.value) ~= 'table' then
    return
  end
  local value, token = params.value, params.token
  if value.kind == 'end' then
    local was = M.progress[token]
    M.progress[token] = nil
    if was and is_fill(was) then
      vim.api.nvim_echo({}, false, {})
    end
  else
    local entry = M.progress[token] or { title = value.title or '' }
    entry.message = value.message or entry.message
    entry.percentage = value.percentage or entry.percentage
    M.progress[token] = entry
    if is_fill(entry) then
      local line = 'RepoFill: ' .. (M.progress_line() or '')
      local width = math.max(10, vim.v.echospace - 1)
      vim.api.nvim_echo({ { vim.fn.strcharpart(line, 0, width), 'ModeMsg' } }, false, {})
    end
  end
  redraw()
end

--- `window/showMessage` from the server: logged at its level; errors are the server's own
--- state (reported once through repofill/status) or a failed request (kept for :RepoFillStatus).
--- Nothing here prompts.
local function on_show_message(_, params)
  if type(params) ~= 'table' or type(params.message) ~= 'string' then
    return
  end
  local level = ({ 'error', 'warn', 'info', 'debug' })[params.type] or 'info'
  compat.log(level, params.message)
  if params.type == 1 and M.state ~= 'error' then
    M.request_failed(params.message)
  end
end

--- Whether the client `id` finished initializing.
--- @param id integer
function M.initialized(id)
  return initialized[id] == true
end

--- Our client for a buffer, or nil.
--- @param bufnr integer?
function M.client(bufnr)
  return vim.lsp.get_clients({ name = M.NAME, bufnr = bufnr })[1]
end

--- Neovim follows a server's non-zero exit with its own "Client repofill quit with exit code"
--- warning; RepoFill reports the exit itself (with the command and the server's last words), so
--- that one warning is left out: one message, not a row of prompts. Called from the client's
--- on_exit callback, which runs before Neovim's scheduled warning.
local function quiet_exit_warning()
  local notify = vim.notify
  local wrapper
  wrapper = function(msg, level, opts)
    if type(msg) == 'string' and msg:find('^Client ' .. M.NAME .. ' quit with exit code') then
      if vim.notify == wrapper then
        vim.notify = notify
      end
      compat.log('warn', msg)
      return
    end
    return notify(msg, level, opts)
  end
  vim.notify = wrapper
  vim.defer_fn(function()
    if vim.notify == wrapper then
      vim.notify = notify
    end
  end, 2000)
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
  local detail = tail and (': ' .. tail) or ('. Its output is in the LSP log: ' .. compat.log_path())
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
          local message = type(result.message) == 'string' and result.message or ''
          if result.state == 'error' then
            M.fail(message ~= '' and ('RepoFill: ' .. message) or 'RepoFill: the server reported an error')
          else
            M.set_state(result.state, message)
          end
        end
      end,
      ['window/showMessage'] = on_show_message,
    },
    on_init = function(client)
      initialized[client.id] = true
    end,
    on_exit = function(code, signal, id)
      if code ~= 0 or (signal ~= 0 and signal ~= 15) then
        quiet_exit_warning()
      end
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
    M.fail(('RepoFill: cannot start the server `%s`; see the LSP log: %s'):format(M.describe(cmd), compat.log_path()))
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
