-- Neovim 0.12 path: ghost text from vim.lsp.inline_completion, real server.
-- nvim --headless --clean -l editors/neovim/tests/test_native.lua
local dir = vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2))
local H = dofile(vim.fs.joinpath(dir, 'helpers.lua'))
if vim.lsp.inline_completion == nil then
  print('FAIL this Neovim has no vim.lsp.inline_completion (needs 0.12)')
  vim.cmd('cquit 1')
end
H.run(dofile(vim.fs.joinpath(dir, 'ghost_suite.lua'))('native'))
