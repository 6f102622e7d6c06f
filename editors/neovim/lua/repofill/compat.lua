--- The few API differences between Neovim 0.10, 0.11 and 0.12 that RepoFill meets.
local M = {}

M.has_011 = vim.fn.has('nvim-0.11') == 1

--- client:request on 0.11+, client.request on 0.10.
--- @return boolean ok, integer? request_id
function M.request(client, method, params, handler, bufnr)
  if M.has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.notify(client, method, params)
  if M.has_011 then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.cancel_request(client, id)
  if M.has_011 then
    return client:cancel_request(id)
  end
  return client.cancel_request(id)
end

function M.request_sync(client, method, params, timeout_ms, bufnr)
  if M.has_011 then
    return client:request_sync(method, params, timeout_ms, bufnr)
  end
  return client.request_sync(method, params, timeout_ms, bufnr)
end

function M.stop(client, force)
  if M.has_011 then
    return client:stop(force)
  end
  return client.stop(force)
end

--- The byte column of an LSP character offset in `line`.
--- @param line string
--- @param character integer
--- @param encoding string 'utf-8' | 'utf-16' | 'utf-32'
--- @return integer
function M.byte_col(line, character, encoding)
  if encoding == 'utf-8' then
    return math.min(character, #line)
  end
  local ok, col
  if M.has_011 then
    ok, col = pcall(vim.str_byteindex, line, encoding, character, false)
  else
    ok, col = pcall(vim.str_byteindex, line, character, encoding == 'utf-16')
  end
  return ok and col or #line
end

--- The LSP log file: vim.lsp.log.get_filename() (vim.lsp.get_log_path() is deprecated on 0.12).
--- @return string
function M.log_path()
  local ok, log = pcall(require, 'vim.lsp.log')
  if ok and type(log) == 'table' and log.get_filename then
    return log.get_filename()
  end
  return vim.lsp.get_log_path()
end

--- Writes a line to the LSP log at `level` ('error' | 'warn' | 'info' | 'debug').
--- @param level string
--- @param message string
function M.log(level, message)
  local ok, log = pcall(require, 'vim.lsp.log')
  if ok and type(log) == 'table' and type(log[level]) == 'function' then
    pcall(log[level], 'repofill', message)
  end
end

--- The line of a buffer (0-based row), '' past the end.
function M.line(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
end

return M
