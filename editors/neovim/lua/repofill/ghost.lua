--- Ghost text drawn with extmarks, for Neovim 0.10 and 0.11 (and on request on 0.12):
--- asks `textDocument/inlineCompletion` when typing pauses and shows the suggestion inline.
local api = vim.api
local compat = require('repofill.compat')
local text = require('repofill.text')

local M = {}

M.ns = api.nvim_create_namespace('repofill.ghost')

local TRIGGER_INVOKED = 1
local TRIGGER_AUTOMATIC = 2

--- Per-buffer state.
--- @class repofill.GhostState
--- @field client_id integer
--- @field timer? uv.uv_timer_t
--- @field pending? { client_id: integer, id: integer }
--- @field items table[]
--- @field index integer
--- @field shown? { row: integer, col: integer, end_col: integer, text: string, tick: integer }
--- @field expect? { tick: integer, row: integer, col: integer }
local buffers = {} ---@type table<integer, repofill.GhostState>

local function options()
  return require('repofill.config').options
end

local function cursor()
  local pos = api.nvim_win_get_cursor(0)
  return pos[1] - 1, pos[2]
end

local function in_insert_mode()
  return api.nvim_get_mode().mode:sub(1, 1) == 'i'
end

local function stop_timer(st)
  local timer = st.timer
  st.timer = nil
  if timer and not timer:is_closing() then
    timer:stop()
    timer:close()
  end
end

local function cancel_pending(st)
  local pending = st.pending
  st.pending = nil
  if pending then
    local client = vim.lsp.get_client_by_id(pending.client_id)
    if client then
      pcall(compat.cancel_request, client, pending.id)
    end
  end
end

local function hide(bufnr)
  if api.nvim_buf_is_valid(bufnr) then
    api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

--- Removes the ghost text and forgets the suggestions.
--- @param bufnr integer
function M.clear(bufnr)
  local st = buffers[bufnr]
  if not st then
    return
  end
  stop_timer(st)
  cancel_pending(st)
  hide(bufnr)
  st.items, st.index, st.shown, st.expect = {}, 1, nil, nil
end

--- Draws `rest` at the cursor.
local function render(bufnr, st, row, col, rest, end_col)
  hide(bufnr)
  local virt_text, virt_lines = text.virtual(rest, options().hl_group)
  if #st.items > 1 then
    local last = #virt_lines > 0 and virt_lines[#virt_lines] or virt_text
    table.insert(last, { (' (%d/%d)'):format(st.index, #st.items), options().hl_group })
  end
  local opts = { virt_text = virt_text, virt_text_pos = 'inline', hl_mode = 'combine' }
  if #virt_lines > 0 then
    opts.virt_lines = virt_lines
  end
  api.nvim_buf_set_extmark(bufnr, M.ns, row, col, opts)
  st.shown = { row = row, col = col, end_col = end_col, text = rest, tick = api.nvim_buf_get_changedtick(bufnr) }
end

--- Shows the current item at the cursor, if it still fits there.
--- @param bufnr integer
function M.show(bufnr)
  local st = buffers[bufnr]
  if not st then
    return
  end
  hide(bufnr)
  st.shown = nil
  local item = st.items[st.index]
  local client = vim.lsp.get_client_by_id(st.client_id)
  if not item or not client then
    return
  end
  local row, col = cursor()
  local line = compat.line(bufnr, row)
  local start_col, end_col = col, col
  local range = item.range
  if type(range) == 'table' then
    if range.start.line ~= row then
      return
    end
    local encoding = client.offset_encoding or 'utf-16'
    start_col = compat.byte_col(line, range.start.character, encoding)
    if range['end'].line == row then
      end_col = math.max(col, compat.byte_col(line, range['end'].character, encoding))
    end
  end
  local rest = text.remaining(line, start_col, col, item.insertText)
  if not rest or rest == '' then
    return
  end
  render(bufnr, st, row, col, rest, end_col)
end

--- Keeps only items with plain-text suggestions.
local function usable(result)
  if result == nil or result == vim.NIL then
    return {}
  end
  local items = result.items
  if items == nil or items == vim.NIL then
    items = result
  end
  local out = {}
  for _, item in ipairs(items) do
    if type(item) == 'table' and type(item.insertText) == 'string' and item.insertText ~= '' then
      if item.range == vim.NIL then
        item.range = nil
      end
      table.insert(out, item)
    end
  end
  return out
end

--- Asks the server for suggestions at the cursor.
--- @param bufnr integer
--- @param trigger_kind integer 1 Invoked, 2 Automatic
function M.request(bufnr, trigger_kind)
  local st = buffers[bufnr]
  if not st or api.nvim_get_current_buf() ~= bufnr or not in_insert_mode() then
    return
  end
  if not options().settings.enabled then
    return
  end
  local client = vim.lsp.get_client_by_id(st.client_id)
  if not client then
    return
  end
  stop_timer(st)
  cancel_pending(st)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding or 'utf-16')
  params.context = { triggerKind = trigger_kind }
  local tick = api.nvim_buf_get_changedtick(bufnr)
  local row, col = cursor()
  local request_id
  local ok, id = compat.request(client, 'textDocument/inlineCompletion', params, function(err, result)
    if st.pending and st.pending.id == request_id then
      st.pending = nil
    end
    if err then
      require('repofill.server').request_failed(err)
      return
    end
    if buffers[bufnr] ~= st then
      return
    end
    local now_row, now_col = cursor()
    if
      api.nvim_get_current_buf() ~= bufnr
      or not in_insert_mode()
      or api.nvim_buf_get_changedtick(bufnr) ~= tick
      or now_row ~= row
      or now_col ~= col
    then
      return -- the text or the cursor moved on: this answer is stale
    end
    st.items, st.index = usable(result), 1
    M.show(bufnr)
  end, bufnr)
  if ok and id then
    request_id = id
    st.pending = { client_id = client.id, id = id }
  end
end

--- Asks again once typing pauses.
--- @param bufnr integer
function M.schedule(bufnr)
  local st = buffers[bufnr]
  if not st then
    return
  end
  stop_timer(st)
  if not options().settings.enabled then
    return
  end
  st.timer = vim.defer_fn(function()
    st.timer = nil
    M.request(bufnr, TRIGGER_AUTOMATIC)
  end, options().debounce_ms)
end

--- After a keystroke: keep the ghost if the user typed its next characters, else drop it; ask again.
local function on_change(bufnr)
  local st = buffers[bufnr]
  if not st then
    return
  end
  local row, col = cursor()
  local tick = api.nvim_buf_get_changedtick(bufnr)
  local expect = st.expect
  if expect and expect.tick == tick and expect.row == row and expect.col == col then
    return -- our own partial accept; its remainder is already drawn
  end
  st.expect = nil
  local shown = st.shown
  if shown and row == shown.row and col > shown.col and tick ~= shown.tick then
    local typed = compat.line(bufnr, row):sub(shown.col + 1, col)
    if shown.text:sub(1, #typed) == typed and #typed < #shown.text then
      render(bufnr, st, row, col, shown.text:sub(#typed + 1), col)
      M.schedule(bufnr)
      return
    end
  end
  if not (shown and shown.tick == tick and shown.row == row and shown.col == col) then
    hide(bufnr)
    st.shown = nil
  end
  M.schedule(bufnr)
end

--- Starts drawing ghost text in a buffer for a client.
--- @param bufnr integer
--- @param client_id integer
function M.attach(bufnr, client_id)
  if buffers[bufnr] then
    buffers[bufnr].client_id = client_id
    return
  end
  buffers[bufnr] = { client_id = client_id, items = {}, index = 1 }
  local group = api.nvim_create_augroup('repofill_ghost_' .. bufnr, { clear = true })
  api.nvim_create_autocmd({ 'InsertEnter', 'TextChangedI', 'CursorMovedI' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      on_change(bufnr)
    end,
  })
  api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.clear(bufnr)
    end,
  })
  api.nvim_create_autocmd({ 'BufWipeout', 'BufUnload' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.detach(bufnr)
    end,
  })
end

--- @param bufnr integer
function M.detach(bufnr)
  M.clear(bufnr)
  buffers[bufnr] = nil
  pcall(api.nvim_del_augroup_by_name, 'repofill_ghost_' .. bufnr)
end

--- Whether ghost text is shown at the cursor.
--- @param bufnr integer?
function M.visible(bufnr)
  bufnr = bufnr or api.nvim_get_current_buf()
  local st = buffers[bufnr]
  if not st or not st.shown then
    return false
  end
  local row, col = cursor()
  return st.shown.row == row and st.shown.col == col and st.shown.tick == api.nvim_buf_get_changedtick(bufnr)
end

--- Inserts all, the next word or the next line of the ghost text.
--- @param kind 'all'|'word'|'line'
--- @return boolean accepted
function M.accept(kind)
  local bufnr = api.nvim_get_current_buf()
  local st = buffers[bufnr]
  if not M.visible(bufnr) then
    return false
  end
  local shown = assert(st.shown)
  stop_timer(st)
  cancel_pending(st)
  local chunk = text.chunk(shown.text, kind)
  local lines = vim.split(chunk, '\n', { plain = true })
  local whole = #chunk == #shown.text
  api.nvim_buf_set_text(bufnr, shown.row, shown.col, shown.row, whole and shown.end_col or shown.col, lines)
  local row = shown.row + #lines - 1
  local col = (#lines == 1 and shown.col or 0) + #lines[#lines]
  api.nvim_win_set_cursor(0, { row + 1, col })
  hide(bufnr)
  local rest = shown.text:sub(#chunk + 1)
  if whole or rest == '' then
    st.items, st.index, st.shown = {}, 1, nil
    return true
  end
  render(bufnr, st, row, col, rest, col)
  st.expect = { tick = api.nvim_buf_get_changedtick(bufnr), row = row, col = col }
  return true
end

--- Hides the ghost text.
--- @return boolean whether there was any
function M.dismiss()
  local bufnr = api.nvim_get_current_buf()
  local had = M.visible(bufnr)
  M.clear(bufnr)
  return had
end

--- Shows the next (delta 1) or previous (-1) suggestion; with one or none, asks explicitly
--- (the server returns several for an explicit request when `candidates` > 1).
--- @param delta integer
--- @return boolean
function M.cycle(delta)
  local bufnr = api.nvim_get_current_buf()
  local st = buffers[bufnr]
  if not st then
    return false
  end
  if #st.items > 1 then
    st.index = (st.index - 1 + delta) % #st.items + 1
    M.show(bufnr)
    return true
  end
  M.request(bufnr, TRIGGER_INVOKED)
  return true
end

--- Called when completions are turned off or on.
--- @param enabled boolean
function M.set_enabled(enabled)
  if not enabled then
    for bufnr in pairs(buffers) do
      M.clear(bufnr)
    end
  end
end

--- The attached buffers (for tests and health).
function M.buffers()
  return vim.tbl_keys(buffers)
end

return M
