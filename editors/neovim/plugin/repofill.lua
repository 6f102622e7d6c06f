-- RepoFill: the user commands exist before setup(); the first one used runs setup({}) with defaults.
if vim.g.loaded_repofill then
  return
end
vim.g.loaded_repofill = true

if vim.fn.has('nvim-0.10') == 0 then
  vim.notify('RepoFill needs Neovim 0.10 or newer', vim.log.levels.ERROR)
  return
end

require('repofill.commands').create()
