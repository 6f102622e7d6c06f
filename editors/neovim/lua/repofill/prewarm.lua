--- Pre-warm where the cursor rests: the notification `repofill/didMoveCursor` (docs/protocol.md,
--- "Notifications (client → server)") with `{ textDocument = { uri }, position }`, the position in
--- the client's negotiated offset encoding (as for inline-completion requests).
---
--- Sent once the cursor has rested REST_MS at a place it moved to (CursorMoved, CursorMovedI) and
--- when an attached buffer gains focus (BufEnter, FocusGained, or the client attaching to the
--- current buffer). Every event restarts one timer, so a run of quick moves sends one
--- notification. A move that comes with a text change (typing, `x`, `dd`, an accepted
--- suggestion) sends nothing: typing already sends inline-completion requests there.
local api = vim.api
local compat = require('repofill.compat')
local config = require('repofill.config')
local server = require('repofill.server')

local M = {}

--- Milliseconds the cursor rests before the notification is sent.
M.REST_MS = 150
M.METHOD = 'repofill/didMoveCursor'

--- Each buffer's changedtick at the last cursor or text event: a cursor move whose tick differs
--- came with a text change (Neovim fires CursorMoved[I] before TextChanged[I]).
local seen_tick = {} ---@type table<integer, integer>
--- Where the pending rest was scheduled: { bufnr, tick, row, col }.
local pending = nil ---@type { bufnr: integer, tick: integer, row: integer, col: integer }?
local timer = nil ---@type uv.uv_timer_t?

--- Whether notifications are wanted for `bufnr`: the option on, completion enabled, and our
--- client attached; returns that client.
--- @param bufnr integer
--- @return table? client
local function client_for(bufnr)
  local options = config.options
  if not options.prewarm or not options.settings.enabled then
    return nil
  end
  if not api.nvim_buf_is_valid(bufnr) then
    return nil
  end
  return server.client(bufnr)
end

local function stop()
  pending = nil
  if timer then
    timer:stop()
  end
end

--- Sends the notification for the current buffer if the cursor and text are still as scheduled.
local function fire()
  local p = pending
  pending = nil
  if not p then
    return
  end
  local bufnr = api.nvim_get_current_buf()
  if bufnr ~= p.bufnr or api.nvim_buf_get_changedtick(bufnr) ~= p.tick then
    return
  end
  local cursor = api.nvim_win_get_cursor(0)
  if cursor[1] ~= p.row or cursor[2] ~= p.col then
    return
  end
  local client = client_for(bufnr)
  if not client then
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding or 'utf-16')
  compat.notify(client, M.METHOD, { textDocument = { uri = params.textDocument.uri }, position = params.position })
end

--- (Re)starts the rest timer for the current buffer and cursor, if the buffer is attached.
function M.schedule()
  local bufnr = api.nvim_get_current_buf()
  stop()
  if not client_for(bufnr) then
    return
  end
  local cursor = api.nvim_win_get_cursor(0)
  pending = { bufnr = bufnr, tick = api.nvim_buf_get_changedtick(bufnr), row = cursor[1], col = cursor[2] }
  timer = timer or vim.uv.new_timer()
  assert(timer, 'repofill: cannot create a timer')
  timer:start(M.REST_MS, 0, vim.schedule_wrap(fire))
end

--- Records the buffer's changedtick; true when it changed since the last event.
--- @param bufnr integer
--- @return boolean
local function text_changed(bufnr)
  local tick = api.nvim_buf_get_changedtick(bufnr)
  local changed = seen_tick[bufnr] ~= nil and seen_tick[bufnr] ~= tick
  seen_tick[bufnr] = tick
  return changed
end

local function on_cursor(args)
  if text_changed(args.buf) then
    stop() -- the cursor moved because text was typed or edited
    return
  end
  M.schedule()
end

local function on_text(args)
  if text_changed(args.buf) then
    stop()
  end
end

local function on_focus(args)
  seen_tick[args.buf] = api.nvim_buf_get_changedtick(args.buf)
  M.schedule()
end

--- Creates the autocmds in `group` (setup()'s augroup, cleared by a new setup()).
--- @param group integer
function M.setup(group)
  stop()
  seen_tick = {}
  api.nvim_create_autocmd({ 'CursorMoved', 'CursorMovedI' }, { group = group, callback = on_cursor })
  api.nvim_create_autocmd({ 'TextChanged', 'TextChangedI', 'TextChangedP' }, { group = group, callback = on_text })
  api.nvim_create_autocmd({ 'BufEnter', 'FocusGained' }, { group = group, callback = on_focus })
  api.nvim_create_autocmd({ 'BufUnload', 'BufWipeout' }, {
    group = group,
    callback = function(args)
      seen_tick[args.buf] = nil
      if pending and pending.bufnr == args.buf then
        stop()
      end
    end,
  })
end

--- The client attached to `bufnr`: a document that gains focus by being opened.
--- @param bufnr integer
function M.on_attach(bufnr)
  if bufnr == api.nvim_get_current_buf() then
    on_focus({ buf = bufnr })
  end
end

return M
