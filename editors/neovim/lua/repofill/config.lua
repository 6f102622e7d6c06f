--- Options of require("repofill").setup() and the server settings they carry.
local M = {}

--- The server settings (docs/protocol.md, "Settings"), sent as init_options and in
--- workspace/didChangeConfiguration.
M.server_defaults = {
  enabled = true,
  modelPath = '',
  model = '',
  maxLines = 8,
  multiline = 'auto',
  maxTokens = 64,
  deadlineMs = 2000,
  languages = {},
  contextBudget = 512,
  candidates = 1,
  strategy = 'auto',
  debounceMs = 20,
  backend = 'local',
  remoteUrl = '',
  remoteApiKeyEnv = '',
  remoteModel = '',
  remoteTimeoutMs = 10000,
  remoteFimFormat = 'auto',
  nGpuLayers = -1,
  flashAttn = false,
  kvCacheType = 'f16',
  threads = 'auto',
}

--- Settings whose value must be one of a list.
local CHOICES = {
  multiline = { auto = true, always = true, never = true },
  strategy = { auto = true, greedy = true, rerank = true, fim = true },
  backend = { ['local'] = true, ['llama-server'] = true, openai = true },
  kvCacheType = { f16 = true, q8_0 = true, q4_0 = true },
}

M.defaults = {
  --- The server command; nil: { "repofill", "serve" }, or `python -m repofill.lsp.cli serve` when `python` is set.
  cmd = nil,
  --- A Python interpreter that has RepoFill installed (used when `cmd` is nil).
  python = nil,
  --- Filetypes to attach to; nil: every buffer that is a file.
  filetypes = nil,
  --- Files that mark the project root (the server indexes that folder).
  root_markers = { '.git' },
  --- "auto": Neovim's own inline completion on 0.12+, else RepoFill's extmark renderer;
  --- "native" or "extmark" to choose.
  ghost = 'auto',
  --- Milliseconds of typing pause before the extmark renderer asks for a suggestion.
  debounce_ms = 150,
  --- Send `repofill/didMoveCursor` when the cursor rests (150 ms) at a place it moved to or a
  --- buffer gains focus, so the server pre-warms the prompt there; false: never.
  prewarm = true,
  --- Highlight group of the extmark renderer's ghost text.
  hl_group = 'RepoFillGhost',
  --- Insert-mode keys; false disables one.
  keymaps = {
    accept = '<Tab>',
    accept_word = '<M-Right>',
    accept_line = '<M-C-Right>',
    dismiss = '<C-]>',
    next = '<M-]>',
    prev = '<M-[>',
  },
  --- Settings sent to the server (docs/editors.md, "Settings").
  settings = vim.deepcopy(M.server_defaults),
}

M.options = vim.deepcopy(M.defaults)

local GHOST = { auto = true, native = true, extmark = true }

--- Raises unless `value` has type `kind` (or is nil when `optional`). vim.validate's
--- signature differs between 0.10 and 0.11, so RepoFill checks by hand.
local function check(name, value, kind, optional)
  if value == nil and optional then
    return
  end
  if type(value) ~= kind then
    error(('repofill: %s must be a %s, not %s'):format(name, kind, type(value)), 3)
  end
end

--- Raises unless `threads` is "auto" or a positive integer (a number, or a string of digits as
--- the server also accepts).
--- @param threads any
local function check_threads(threads)
  if threads == 'auto' then
    return
  end
  local n = type(threads) == 'string' and threads:match('^%d+$') and tonumber(threads) or threads
  if type(n) ~= 'number' or n < 1 or n ~= math.floor(n) then
    error(('repofill: settings.threads must be "auto" or a positive integer, not %s'):format(vim.inspect(threads)), 3)
  end
end

--- Validates and merges user options over the defaults; raises on a wrong type.
--- @param user table?
--- @return table
function M.merge(user)
  user = user or {}
  check('opts', user, 'table')
  local options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), user)
  -- lists replace rather than merge
  for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers' }) do
    if user[key] ~= nil then
      options[key] = user[key]
    end
  end
  if user.settings and user.settings.languages ~= nil then
    options.settings.languages = user.settings.languages
  end
  check('cmd', options.cmd, 'table', true)
  check('python', options.python, 'string', true)
  check('filetypes', options.filetypes, 'table', true)
  check('debounce_ms', options.debounce_ms, 'number')
  check('prewarm', options.prewarm, 'boolean')
  if not GHOST[options.ghost] then
    error(('repofill: ghost must be "auto", "native" or "extmark", not %q'):format(tostring(options.ghost)))
  end
  local s = options.settings
  check('settings.languages', s.languages, 'table')
  for key, default in pairs(M.server_defaults) do
    if key ~= 'languages' and key ~= 'threads' then
      check('settings.' .. key, s[key], type(default))
    end
  end
  for key, choices in pairs(CHOICES) do
    if not choices[s[key]] then
      error(('repofill: settings.%s must be one of %s, not %q'):format(key, table.concat(vim.tbl_keys(choices), ', '), tostring(s[key])))
    end
  end
  check_threads(s.threads)
  return options
end

--- The command line that starts the server.
--- @param options table
--- @return string[]
function M.server_cmd(options)
  if options.cmd then
    return vim.deepcopy(options.cmd)
  end
  if options.python then
    return { options.python, '-m', 'repofill.lsp.cli', 'serve' }
  end
  return { 'repofill', 'serve' }
end

--- The settings object as sent to the server (vim.json encodes an empty table as `[]`).
--- @param settings table
--- @return table
function M.wire_settings(settings)
  return vim.deepcopy(settings)
end

--- Whether the ghost text comes from Neovim's own vim.lsp.inline_completion.
--- @param options table
--- @return boolean
function M.use_native(options)
  local has_native = vim.lsp.inline_completion ~= nil and vim.lsp.inline_completion.get ~= nil
  if options.ghost == 'native' then
    return has_native
  end
  return options.ghost == 'auto' and has_native
end

return M
