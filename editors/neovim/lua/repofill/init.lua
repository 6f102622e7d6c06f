--- RepoFill for Neovim: local, repository-aware ghost-text completion from `repofill serve`.
---
--- require("repofill").setup({ ... })   -- see docs/editors.md, "Neovim", for the options
local api = vim.api
local compat = require('repofill.compat')
local config = require('repofill.config')
local server = require('repofill.server')

local M = {}

M._configured = false

--- The ghost-text backend in use: require('repofill.native') or require('repofill.ghost').
function M.backend()
  if config.use_native(config.options) then
    return require('repofill.native')
  end
  return require('repofill.ghost')
end

local function should_attach(bufnr)
  if not api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' or api.nvim_buf_get_name(bufnr) == '' then
    return false
  end
  local filetypes = config.options.filetypes
  return filetypes == nil or vim.tbl_contains(filetypes, vim.bo[bufnr].filetype)
end

--- Starts the server for a buffer (if it should have one). `vim.b.repofill_client` follows the
--- real attachment: set here (BufReadPost and FileType both arrive before the client is
--- initialized), cleared on LspDetach and BufUnload (`:e`, `:e!` detach the client; the
--- BufReadPost that follows attaches it again).
--- @param bufnr integer?
function M.attach(bufnr)
  bufnr = bufnr or api.nvim_get_current_buf()
  if not should_attach(bufnr) or server.client(bufnr) then
    return
  end
  local pending = vim.b[bufnr].repofill_client
  if pending and vim.lsp.get_client_by_id(pending) and not server.initialized(pending) then
    return -- starting; vim.lsp.start attaches it once initialized
  end
  if server.last_error and server.state == 'error' and server.client() == nil then
    return -- already reported; :RepoFillRestart tries again
  end
  vim.b[bufnr].repofill_client = server.start(bufnr, config.options) or false
end

local function feed(lhs)
  api.nvim_feedkeys(vim.keycode(lhs), 'n', false)
end

--- Keymaps that never type their key: Alt+] / Alt+[ arrive as Escape + `]` in a terminal.
local NO_FALLBACK = { next = true, prev = true }

--- Insert-mode keymaps for one buffer; each (but next/prev) falls back to its key when there is
--- no ghost text.
local function set_keymaps(bufnr)
  local keymaps = config.options.keymaps or {}
  local actions = {
    accept = function()
      return M.accept()
    end,
    accept_word = function()
      return M.accept_word()
    end,
    accept_line = function()
      return M.accept_line()
    end,
    dismiss = function()
      return M.dismiss()
    end,
    next = function()
      return M.next()
    end,
    prev = function()
      return M.prev()
    end,
  }
  for name, action in pairs(actions) do
    local lhs = keymaps[name]
    if lhs then
      vim.keymap.set('i', lhs, function()
        if not action() and not NO_FALLBACK[name] then
          feed(lhs)
        end
      end, { buffer = bufnr, desc = 'RepoFill: ' .. name:gsub('_', ' ') })
    end
  end
end

local function on_lsp_attach(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= server.NAME then
    return
  end
  vim.b[args.buf].repofill_client = client.id
  M.backend().attach(args.buf, client.id)
  set_keymaps(args.buf)
  require('repofill.prewarm').on_attach(args.buf)
end

local function on_lsp_detach(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= server.NAME then
    return
  end
  vim.b[args.buf].repofill_client = nil
  M.backend().detach(args.buf)
end

--- Ghost text must not look like code, nor like the `~` filler (NonText), in a 256-colour
--- terminal too (`termguicolors` off: only the cterm attributes count).
local function set_highlights()
  api.nvim_set_hl(0, 'RepoFillGhost', { fg = '#8a8a8a', ctermfg = 245, italic = true, default = true })
  -- Neovim's inline completion draws with ComplHint (a link to NonText by default)
  local hint = api.nvim_get_hl(0, { name = 'ComplHint', link = true })
  if vim.tbl_isempty(hint) or hint.link == 'NonText' then
    api.nvim_set_hl(0, 'ComplHint', { link = 'RepoFillGhost' })
  end
end

--- @param opts table? see docs/editors.md, "Neovim"
function M.setup(opts)
  config.options = config.merge(opts)
  M._configured = true
  server.reset()
  set_highlights()
  local group = api.nvim_create_augroup('repofill', { clear = true })
  api.nvim_create_autocmd('ColorScheme', { group = group, callback = set_highlights })
  api.nvim_create_autocmd('LspAttach', { group = group, callback = on_lsp_attach })
  api.nvim_create_autocmd('LspDetach', { group = group, callback = on_lsp_detach })
  api.nvim_create_autocmd('LspProgress', { group = group, callback = server.on_progress })
  require('repofill.prewarm').setup(group)
  api.nvim_create_autocmd('BufUnload', {
    group = group,
    callback = function(args)
      vim.b[args.buf].repofill_client = nil
    end,
  })
  api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile', 'FileType' }, {
    group = group,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  require('repofill.commands').create()
  for _, bufnr in ipairs(api.nvim_list_bufs()) do
    vim.b[bufnr].repofill_client = nil
    if api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

--- setup() with defaults when the user has not called it (commands call this).
function M.ensure_setup()
  if not M._configured then
    M.setup({})
  end
end

function M.accept()
  return M.backend().accept('all')
end

function M.accept_word()
  return M.backend().accept('word')
end

function M.accept_line()
  return M.backend().accept('line')
end

function M.dismiss()
  return M.backend().dismiss()
end

function M.next()
  return M.backend().cycle(1)
end

function M.prev()
  return M.backend().cycle(-1)
end

--- Whether ghost text is shown at the cursor.
function M.visible()
  return M.backend().visible()
end

--- Changes server settings without a restart, e.g. set({ maxLines = 4 }).
--- @param settings table
function M.set(settings)
  M.ensure_setup()
  config.options.settings = vim.tbl_extend('force', config.options.settings, settings)
  config.options = config.merge(config.options)
  server.push_settings(config.options.settings)
  M.backend().set_enabled(config.options.settings.enabled)
end

--- Turns completions off or on (the server answers nothing while off).
function M.toggle()
  M.ensure_setup()
  local enabled = not config.options.settings.enabled
  M.set({ enabled = enabled })
  vim.notify(('RepoFill: completions %s'):format(enabled and 'enabled' or 'disabled'), vim.log.levels.INFO)
end

--- Stops the server and starts it again for every buffer.
function M.restart()
  M.ensure_setup()
  server.stop_all()
  server.reset()
  for _, bufnr in ipairs(api.nvim_list_bufs()) do
    vim.b[bufnr].repofill_client = nil
  end
  vim.defer_fn(function()
    for _, bufnr in ipairs(api.nvim_list_bufs()) do
      if api.nvim_buf_is_loaded(bufnr) then
        M.attach(bufnr)
      end
    end
  end, 200)
end

--- The server's state, e.g. for a statusline: "RepoFill: ready".
function M.statusline()
  if server.state == 'stopped' then
    return ''
  end
  local state = server.state
  if state ~= 'error' and server.busy() then
    state = 'working'
  elseif state ~= 'error' and not config.options.settings.enabled then
    state = 'disabled'
  end
  return 'RepoFill: ' .. state
end

--- State, message and the server's own report (repofill.status), for :RepoFillStatus.
function M.status()
  local lines = { M.statusline() ~= '' and M.statusline() or 'RepoFill: not running' }
  if server.message ~= '' then
    table.insert(lines, server.message)
  end
  local work = server.progress_line()
  if work then
    table.insert(lines, 'busy: ' .. work)
  end
  if server.last_problem then
    table.insert(lines, 'last failed request: ' .. server.last_problem)
  end
  local client = server.client()
  if client then
    local response = compat.request_sync(client, 'workspace/executeCommand', { command = 'repofill.status', arguments = {} }, 3000)
    if response and response.result and response.result ~= vim.NIL then
      local r = response.result
      table.insert(lines, ('model: %s (%s), indexed files: %s'):format(tostring(r.model), tostring(r.family), tostring(r.indexedFiles)))
    end
  end
  return table.concat(lines, '\n')
end

M.fill_hole = function(range)
  return require('repofill.commands').fill_hole(range)
end

M.show_context = function()
  return require('repofill.commands').show_context()
end

return M
