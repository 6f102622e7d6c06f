-- Neovim 0.10/0.11 path: RepoFill draws the ghost text with its own extmarks (forced with
-- ghost = "extmark" so it runs on 0.12 too), real server, same assertions as the native path.
-- nvim --headless --clean -l editors/neovim/tests/test_extmark.lua
local dir = vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2))
local H = dofile(vim.fs.joinpath(dir, 'helpers.lua'))
H.run(dofile(vim.fs.joinpath(dir, 'ghost_suite.lua'))('extmark'))
