--- Ghost text through Neovim 0.12's own vim.lsp.inline_completion, with RepoFill's guards on top:
---
--- * an answer for a buffer state that has changed since it was asked (text or cursor) is
---   dropped, and typing or moving hides the suggestion shown; Neovim asks again once typing
---   pauses. <Tab> never accepts a suggestion made for other text.
--- * ranged items become inserts at the cursor (Neovim draws ranged items as an overlay that
---   hides the code after the cursor); an item that cannot be one is dropped.
--- * accepting inserts exactly what is drawn (all, a word or a line).
--- * next/previous with a single suggestion asks the server explicitly (`candidates` > 1
---   returns several).
local api = vim.api
local compat = require('repofill.compat')
local text = require('repofill.text')

local M = {}

--- The namespace Neovim draws inline completions in.
M.ns = api.nvim_create_namespace('nvim.lsp.inline_completion')

local METHOD = 'textDocument/inlineCompletion'
local TRIGGER_INVOKED = 1

--- Per buffer: the buffer state the current suggestion was made for.
--- @type table<integer, { tick: integer, row: integer, col: integer }>
local made_for = {}

local function ic()
  return vim.lsp.inline_completion
end

--- Neovim's inline-completion state for a buffer (a private structure of 0.12; nil if it moved).
local function completor(bufnr)
  local ok, capability = pcall(function()
    return vim.lsp._capability.all.inline_completion.active[bufnr]
  end)
  return ok and capability or nil
end

--- The buffer state now: changedtick and cursor, when `bufnr` is the current buffer in insert mode.
local function state(bufnr)
  if api.nvim_get_current_buf() ~= bufnr or api.nvim_get_mode().mode:sub(1, 1) ~= 'i' then
    return nil
  end
  local pos = api.nvim_win_get_cursor(0)
  return { tick = api.nvim_buf_get_changedtick(bufnr), row = pos[1] - 1, col = pos[2] }
end

local function same(a, b)
  return a ~= nil and b ~= nil and a.tick == b.tick and a.row == b.row and a.col == b.col
end

--- Items rewritten as inserts at the cursor (`at`); items that would hide code are dropped.
--- @param bufnr integer
--- @param at { row: integer, col: integer }
--- @param items table[]
--- @param encoding string
--- @return table[]
function M.adapt(bufnr, at, items, encoding)
  local line = compat.line(bufnr, at.row)
  local out = {}
  for _, item in ipairs(items) do
    local insert_text = type(item) == 'table' and item.insertText or nil
    local range = item and item.range
    if range == vim.NIL then
      range = nil
    end
    if type(insert_text) == 'string' and insert_text ~= '' then
      local rest = insert_text
      if range then
        rest = nil
        if range.start.line == at.row and range['end'].line == at.row then
          local start_col = compat.byte_col(line, range.start.character, encoding)
          local end_col = compat.byte_col(line, range['end'].character, encoding)
          rest = text.as_insert(line, start_col, end_col, at.col, insert_text)
        end
      end
      if rest and rest ~= '' then
        local copy = vim.deepcopy(item)
        copy.insertText, copy.range = rest, nil
        table.insert(out, copy)
      end
    end
  end
  return out
end

--- Wraps the client's request() so that inline-completion answers are checked and adapted
--- before Neovim's handler sees them (for Neovim's own requests and for ours).
--- @param client vim.lsp.Client
function M.guard(client)
  if client._repofill_guarded then
    return
  end
  client._repofill_guarded = true
  local request = client.request
  client.request = function(self, method, params, handler, bufnr, ...)
    if method ~= METHOD or type(handler) ~= 'function' or type(params) ~= 'table' or not params.textDocument then
      return request(self, method, params, handler, bufnr, ...)
    end
    local target = vim.uri_to_bufnr(params.textDocument.uri)
    local asked = state(target)
    local inner = handler
    handler = function(err, result, ctx, config)
      if err then
        require('repofill.server').request_failed(err)
        return inner(nil, { items = {} }, ctx, config)
      end
      local now = state(target)
      local items = {}
      if same(asked, now) and result ~= nil and result ~= vim.NIL then
        local list = result.items
        if list == nil or list == vim.NIL then
          list = result
        end
        items = M.adapt(target, now, list, self.offset_encoding or 'utf-16')
      end
      if #items > 0 then
        made_for[target] = now
      end
      return inner(nil, { items = items }, ctx, config)
    end
    return request(self, method, params, handler, bufnr, ...)
  end
end

--- Hides the suggestion and forgets it (pending requests are cancelled).
--- @param bufnr integer
local function drop(bufnr)
  made_for[bufnr] = nil
  if api.nvim_buf_is_valid(bufnr) then
    api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
  local c = completor(bufnr)
  if c and c.current then
    pcall(c.abort, c)
  elseif c == nil then
    pcall(ic().get, { bufnr = bufnr, on_accept = function() end })
  end
end

--- Whether a suggestion is shown for the buffer as it is now.
--- @param bufnr integer?
function M.visible(bufnr)
  bufnr = bufnr or api.nvim_get_current_buf()
  if #api.nvim_buf_get_extmarks(bufnr, M.ns, 0, -1, { limit = 1 }) == 0 then
    return false
  end
  return same(made_for[bufnr], state(bufnr))
end

--- @param bufnr integer
--- @param client_id integer
function M.attach(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  if client then
    M.guard(client)
  end
  ic().enable(require('repofill.config').options.settings.enabled, { bufnr = bufnr })
  local group = api.nvim_create_augroup('repofill_native_' .. bufnr, { clear = true })
  -- typed text or a moved cursor: the suggestion shown was made for other text
  api.nvim_create_autocmd({ 'TextChangedI', 'CursorMovedI', 'InsertLeave' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      if made_for[bufnr] and not same(made_for[bufnr], state(bufnr)) then
        drop(bufnr)
      end
    end,
  })
end

--- @param bufnr integer
function M.detach(bufnr)
  made_for[bufnr] = nil
  pcall(api.nvim_del_augroup_by_name, 'repofill_native_' .. bufnr)
end

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
    if not enabled then
      drop(bufnr)
    end
    ic().enable(enabled, { bufnr = bufnr })
  end
end

--- Inserts all, the next word or the next line of an accepted item at the cursor.
local function insert(item, kind)
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
  local lines = vim.split(text.chunk(insert_text, kind), '\n', { plain = true })
  api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  api.nvim_win_set_cursor(0, { row + #lines, (#lines == 1 and col or 0) + #lines[#lines] })
end

--- @param kind 'all'|'word'|'line'
--- @return boolean accepted
function M.accept(kind)
  local bufnr = api.nvim_get_current_buf()
  if not M.visible(bufnr) then
    return false
  end
  local at = made_for[bufnr]
  made_for[bufnr] = nil
  return ic().get({
    on_accept = function(item)
      -- get() applies on the next tick: only if nothing changed meanwhile
      if same(at, state(bufnr)) then
        insert(item, kind)
      end
    end,
  })
end

--- @return boolean whether there was a suggestion
function M.dismiss()
  local bufnr = api.nvim_get_current_buf()
  local had = M.visible(bufnr)
  drop(bufnr)
  return had
end

--- Asks the server explicitly (triggerKind Invoked) and shows the answer with its index.
local function ask(bufnr)
  local c = completor(bufnr)
  local client = require('repofill.server').client(bufnr)
  if not c or not client or not state(bufnr) then
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding or 'utf-16')
  params.context = { triggerKind = TRIGGER_INVOKED }
  compat.request(client, METHOD, params, function(err, result, ctx)
    if err or completor(bufnr) ~= c or not c.client_state[client.id] then
      return
    end
    c.client_state[client.id].items = result and result.items or {}
    if #c.client_state[client.id].items > 0 then
      c:select(1, c:count_items() > 1)
    else
      c:hide()
    end
  end, bufnr)
end

--- Shows the next (delta 1) or previous (-1) suggestion; with one or none, asks explicitly.
--- Never types anything.
--- @param delta integer
--- @return boolean always true: the key is handled
function M.cycle(delta)
  local bufnr = api.nvim_get_current_buf()
  local c = completor(bufnr)
  if M.visible(bufnr) and c and c:count_items() > 1 then
    ic().select({ count = delta })
  else
    ask(bufnr)
  end
  return true
end

return M
