--- User commands and the two server commands behind them (repofill.fillHole, repofill.showContext).
local api = vim.api
local compat = require('repofill.compat')
local server = require('repofill.server')

local M = {}

local function client_or_error(bufnr)
  local client = server.client(bufnr)
  if not client then
    local why = server.last_error and (' (' .. server.last_error .. ')') or ''
    vim.notify('RepoFill: the server is not running for this buffer' .. why, vim.log.levels.ERROR)
  end
  return client
end

--- The repofill.fillHole argument: the visual selection or line range when given, else the cursor.
--- @param bufnr integer
--- @param client table
--- @param range table? { range = n, line1 = a, line2 = b } from a :command
local function hole_argument(bufnr, client, range)
  local encoding = client.offset_encoding or 'utf-16'
  local arg = { uri = vim.uri_from_bufnr(bufnr) }
  if range and range.range and range.range > 0 then
    local s, e = vim.fn.getpos("'<"), vim.fn.getpos("'>")
    local start_pos, end_pos
    if vim.fn.visualmode() == 'v' and s[2] == range.line1 and e[2] == range.line2 then
      local last = vim.fn.getline(e[2])
      start_pos, end_pos = { s[2], s[3] - 1 }, { e[2], math.min(e[3], #last) - 1 }
    else
      local last = vim.fn.getline(range.line2)
      start_pos, end_pos = { range.line1, 0 }, { range.line2, #last - 1 }
    end
    arg.range = vim.lsp.util.make_given_range_params(start_pos, end_pos, bufnr, encoding).range
  else
    arg.position = vim.lsp.util.make_position_params(0, encoding).position
  end
  return arg
end

--- After a fill: the cursor to where the inserted text ends (the fill result's `cursor`, in the
--- client's position encoding), when the buffer is in a window of the current tab.
--- @param bufnr integer
--- @param client table
--- @param position table? LSP Position
function M.put_cursor(bufnr, client, position)
  if type(position) ~= 'table' or type(position.line) ~= 'number' then
    return
  end
  local win = vim.fn.bufwinid(bufnr)
  if win == -1 or position.line >= api.nvim_buf_line_count(bufnr) then
    return
  end
  local line = compat.line(bufnr, position.line)
  local col = compat.byte_col(line, position.character, client.offset_encoding or 'utf-16')
  pcall(api.nvim_win_set_cursor, win, { position.line + 1, col })
end

--- :RepoFillHole — fills the hole (<FILL> marker, `TODO: fill` comment, or the given range).
--- @param range table?
function M.fill_hole(range)
  local bufnr = api.nvim_get_current_buf()
  local client = client_or_error(bufnr)
  if not client then
    return
  end
  local params = { command = 'repofill.fillHole', arguments = { hole_argument(bufnr, client, range) } }
  compat.request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      vim.notify('RepoFill: filling the hole failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif type(result) == 'table' and result.applied == true then
      M.put_cursor(bufnr, client, result.cursor)
    elseif type(result) ~= 'table' or result.applied ~= true then
      local message = type(result) == 'table' and result.message or ''
      vim.notify('RepoFill: ' .. ((message ~= '' and message ~= vim.NIL) and message or 'no suggestion for this hole'), vim.log.levels.WARN)
    end
    pcall(api.nvim_exec_autocmds, 'User', { pattern = 'RepoFillHoleDone', modeline = false, data = result })
  end, bufnr)
end

--- :RepoFillContext — the repository context the server packs for the cursor, in a scratch window.
function M.show_context()
  local bufnr = api.nvim_get_current_buf()
  local client = client_or_error(bufnr)
  if not client then
    return
  end
  local position = vim.lsp.util.make_position_params(0, client.offset_encoding or 'utf-16').position
  local params = { command = 'repofill.showContext', arguments = { { uri = vim.uri_from_bufnr(bufnr), position = position } } }
  compat.request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      vim.notify('RepoFill: context failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    local body = type(result) == 'table' and type(result.text) == 'string' and result.text or ''
    if body == '' then
      body = '(no repository context for this cursor)'
    end
    vim.cmd('botright new')
    local scratch = api.nvim_get_current_buf()
    vim.bo[scratch].buftype = 'nofile'
    vim.bo[scratch].bufhidden = 'wipe'
    vim.bo[scratch].swapfile = false
    api.nvim_buf_set_lines(scratch, 0, -1, false, vim.split(body, '\n', { plain = true }))
    vim.bo[scratch].modifiable = false
    vim.bo[scratch].filetype = 'repofill-context'
    pcall(api.nvim_buf_set_name, scratch, 'repofill://context')
  end, bufnr)
end

--- Defines :RepoFillToggle, :RepoFillHole, :RepoFillContext, :RepoFillRestart, :RepoFillStatus, :RepoFillLog.
function M.create()
  local function repofill()
    local r = require('repofill')
    r.ensure_setup()
    return r
  end
  api.nvim_create_user_command('RepoFillToggle', function()
    repofill().toggle()
  end, { desc = 'RepoFill: turn completions off or on' })
  api.nvim_create_user_command('RepoFillHole', function(opts)
    repofill()
    M.fill_hole(opts)
  end, { range = true, desc = 'RepoFill: fill the hole at the cursor or in the range' })
  api.nvim_create_user_command('RepoFillContext', function()
    repofill()
    M.show_context()
  end, { desc = 'RepoFill: show the repository context for the cursor' })
  api.nvim_create_user_command('RepoFillRestart', function()
    repofill().restart()
  end, { desc = 'RepoFill: restart the server' })
  api.nvim_create_user_command('RepoFillLog', function()
    vim.cmd.tabedit(vim.fn.fnameescape(compat.log_path()))
  end, { desc = "RepoFill: open Neovim's LSP log (the server's messages)" })
  api.nvim_create_user_command('RepoFillStatus', function()
    vim.notify(repofill().status(), vim.log.levels.INFO)
  end, { desc = "RepoFill: the server's state" })
end

return M
