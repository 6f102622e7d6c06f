--- Ghost text through Neovim 0.12's own vim.lsp.inline_completion, with RepoFill's
--- partial accepts (word, line) on top.
local api = vim.api
local text = require('repofill.text')

local M = {}

--- The namespace Neovim draws inline completions in.
M.ns = api.nvim_create_namespace('nvim.lsp.inline_completion')

local function ic()
  return vim.lsp.inline_completion
end

--- @param bufnr integer
--- @param _client_id integer
function M.attach(bufnr, _client_id)
  ic().enable(require('repofill.config').options.settings.enabled, { bufnr = bufnr })
end

function M.detach(_bufnr) end

local function attached_buffers()
  local out = {}
  for _, client in ipairs(vim.lsp.get_clients({ name = 'repofill' })) do
    for bufnr in pairs(client.attached_buffers) do
      out[bufnr] = true
    end
  end
  return vim.tbl_keys(out)
end

--- @param enabled boolean
function M.set_enabled(enabled)
  for _, bufnr in ipairs(attached_buffers()) do
    ic().enable(enabled, { bufnr = bufnr })
  end
end

--- Row and column of a vim.Range position (its field names changed during 0.12's development).
local function start_of(range)
  local s = range and (range.start or range[1])
  if type(s) ~= 'table' then
    return nil
  end
  return s.row or s[1], s.col or s[2]
end

--- Inserts the next word or line of an accepted item at the cursor.
local function insert_partial(item, kind)
  local insert_text = item.insert_text
  if type(insert_text) == 'table' then
    insert_text = insert_text.value
  end
  if type(insert_text) ~= 'string' then
    return
  end
  local bufnr = api.nvim_get_current_buf()
  local pos = api.nvim_win_get_cursor(0)
  local row, col = pos[1] - 1, pos[2]
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  local start_row, start_col = start_of(item.range)
  local rest = insert_text
  if start_row == row and start_col then
    rest = text.remaining(line, start_col, col, insert_text) or insert_text
  end
  local chunk = text.chunk(rest, kind)
  local lines = vim.split(chunk, '\n', { plain = true })
  api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  api.nvim_win_set_cursor(0, { row + #lines, (#lines == 1 and col or 0) + #lines[#lines] })
end

--- @param kind 'all'|'word'|'line'
--- @return boolean accepted
function M.accept(kind)
  if kind == 'all' then
    return ic().get()
  end
  return ic().get({
    on_accept = function(item)
      insert_partial(item, kind)
    end,
  })
end

--- @return boolean whether there was a suggestion
function M.dismiss()
  return ic().get({ on_accept = function() end })
end

--- @param delta integer
--- @return boolean
function M.cycle(delta)
  if not M.visible() then
    return false
  end
  ic().select({ count = delta })
  return true
end

--- Whether Neovim shows an inline completion in the current buffer.
--- @param bufnr integer?
function M.visible(bufnr)
  bufnr = bufnr or api.nvim_get_current_buf()
  return #api.nvim_buf_get_extmarks(bufnr, M.ns, 0, -1, { limit = 1 }) > 0
end

return M
