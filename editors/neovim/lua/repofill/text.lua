--- Pure text helpers for ghost text: what is left to show and how much a partial accept takes.
local M = {}

--- The part of `insert_text` still to show when the item replaces from `start_col` and the
--- cursor is at `cursor_col` on the same line: the typed characters are skipped.
--- nil when the typed text does not match the suggestion.
--- @param line string the cursor's line
--- @param start_col integer byte column where the item's range starts
--- @param cursor_col integer byte column of the cursor
--- @param insert_text string
--- @return string?
function M.remaining(line, start_col, cursor_col, insert_text)
  if start_col > cursor_col then
    return nil
  end
  local typed = line:sub(start_col + 1, cursor_col)
  if insert_text:sub(1, #typed) ~= typed then
    return nil
  end
  return insert_text:sub(#typed + 1)
end

--- An item that replaces `line[start_col, end_col)` with `insert_text`, rewritten as text to
--- insert at the cursor (`start_col <= cursor_col <= end_col`, one line): the replacement must
--- keep the typed part before the cursor and the code after it. nil when it does not.
--- @param line string the cursor's line
--- @param start_col integer byte column where the range starts
--- @param end_col integer byte column where the range ends (exclusive)
--- @param cursor_col integer byte column of the cursor
--- @param insert_text string
--- @return string?
function M.as_insert(line, start_col, end_col, cursor_col, insert_text)
  if start_col > cursor_col or end_col < cursor_col then
    return nil
  end
  local rest = M.remaining(line, start_col, cursor_col, insert_text)
  if rest == nil then
    return nil
  end
  local kept = line:sub(cursor_col + 1, end_col)
  if kept == '' then
    return rest
  end
  if #rest < #kept or rest:sub(-#kept) ~= kept then
    return nil
  end
  return rest:sub(1, #rest - #kept)
end

--- The next word of `text`: leading white space (newlines included) and one run of word
--- characters or of punctuation.
--- @param text string
--- @return string
function M.next_word(text)
  return text:match('^%s*[%w_]+') or text:match('^%s*[^%w_%s]+') or text:match('^%s+') or text
end

--- The rest of the current line of `text`; when `text` starts with a line break, that break
--- and the following line.
--- @param text string
--- @return string
function M.next_line(text)
  if text:sub(1, 1) == '\n' then
    local rest = text:sub(2)
    local line = rest:match('^[^\n]*') or ''
    return '\n' .. line
  end
  return text:match('^[^\n]*') or text
end

--- The chunk an accept of `kind` takes from `text`.
--- @param text string
--- @param kind 'all'|'word'|'line'
--- @return string
function M.chunk(text, kind)
  if kind == 'word' then
    return M.next_word(text)
  elseif kind == 'line' then
    return M.next_line(text)
  end
  return text
end

--- Virtual text for `text` at the cursor: the first line inline, the others as virtual lines.
--- @param text string
--- @param hl string
--- @return table virt_text, table virt_lines
function M.virtual(text, hl)
  local lines = vim.split(text, '\n', { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    table.insert(virt_lines, { { lines[i], hl } })
  end
  return { { lines[1], hl } }, virt_lines
end

return M
