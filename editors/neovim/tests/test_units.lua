-- The plugin's pure parts: text splitting, options, the doctor output parser.
-- nvim --headless --clean -l editors/neovim/tests/test_units.lua
local dir = vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2))
local H = dofile(vim.fs.joinpath(dir, 'helpers.lua'))
vim.opt.rtp:prepend(H.root)

local text = require('repofill.text')
local config = require('repofill.config')
local health = require('repofill.health')

local cases = vim.json.decode(table.concat(vim.fn.readfile(vim.fs.joinpath(dir, 'text_cases.json')), '\n'))

H.run({
  {
    'next_word, next_line and remaining follow the golden cases',
    function()
      for _, c in ipairs(cases.next_word) do
        H.eq(text.next_word(c[1]), c[2], 'next_word(' .. vim.inspect(c[1]) .. ')')
      end
      for _, c in ipairs(cases.next_line) do
        H.eq(text.next_line(c[1]), c[2], 'next_line(' .. vim.inspect(c[1]) .. ')')
      end
      for _, c in ipairs(cases.remaining) do
        H.eq(text.remaining(c.line, c.start_col, c.cursor_col, c.insert_text), c.expected or nil, vim.inspect(c))
      end
      for _, c in ipairs(cases.as_insert) do
        H.eq(text.as_insert(c.line, c.start_col, c.end_col, c.cursor_col, c.insert_text), c.expected or nil, vim.inspect(c))
      end
    end,
  },
  {
    'chunk takes all, a word or a line; virtual splits lines',
    function()
      H.eq(text.chunk('foo(bar)\nbaz', 'all'), 'foo(bar)\nbaz', 'all')
      H.eq(text.chunk('foo(bar)\nbaz', 'word'), 'foo', 'word')
      H.eq(text.chunk('foo(bar)\nbaz', 'line'), 'foo(bar)', 'line')
      local vt, vl = text.virtual('a\n  b\n', 'G')
      H.eq(vt, { { 'a', 'G' } }, 'virt_text')
      H.eq(vl, { { { '  b', 'G' } }, { { '', 'G' } } }, 'virt_lines')
    end,
  },
  {
    'options merge over defaults, lists replace, bad values raise',
    function()
      local o = config.merge({ settings = { maxLines = 3, languages = { 'python' } }, keymaps = { accept = '<C-y>' } })
      H.eq(o.settings.maxLines, 3, 'maxLines')
      H.eq(o.settings.deadlineMs, 2000, 'default kept')
      H.eq(o.settings.languages, { 'python' }, 'languages')
      H.eq(o.keymaps.accept, '<C-y>', 'accept key')
      H.eq(o.keymaps.dismiss, '<C-]>', 'default key kept')
      H.eq(config.server_cmd(o), { 'repofill', 'serve' }, 'default command')
      H.eq(config.server_cmd(config.merge({ python = '/venv/bin/python' })), { '/venv/bin/python', '-m', 'repofill.lsp.cli', 'serve' }, 'python')
      H.eq(config.server_cmd(config.merge({ cmd = { '/x/repofill', 'serve', '--no-index' } })), { '/x/repofill', 'serve', '--no-index' }, 'cmd')
      H.ok(not pcall(config.merge, { ghost = 'sometimes' }), 'bad ghost')
      H.ok(not pcall(config.merge, { settings = { multiline = 'maybe' } }), 'bad multiline')
      H.ok(not pcall(config.merge, { settings = { enabled = 'yes' } }), 'bad enabled')
      H.ok(not pcall(config.merge, { settings = { strategy = 'best' } }), 'bad strategy')
      H.ok(not pcall(config.merge, { settings = { nGpuLayers = '0' } }), 'bad nGpuLayers')
      H.eq(config.merge({ settings = { backend = 'llama-server', nGpuLayers = 0 } }).settings.nGpuLayers, 0, 'nGpuLayers')
      H.eq(vim.json.encode(config.wire_settings(config.defaults.settings).languages), '[]', 'languages is a JSON array')
      H.eq(config.use_native(config.merge({ ghost = 'extmark' })), false, 'extmark forced')
      H.eq(config.use_native(config.merge({ ghost = 'auto' })), vim.lsp.inline_completion ~= nil, 'auto')
    end,
  },
  {
    'threads is "auto" or a positive integer (a number or a string of digits); prewarm is a boolean',
    function()
      H.eq(config.merge({}).settings.threads, 'auto', 'default threads')
      H.eq(config.merge({}).prewarm, true, 'default prewarm')
      H.eq(config.merge({ settings = { threads = 2 } }).settings.threads, 2, 'threads = 2')
      H.eq(config.merge({ settings = { threads = '4' } }).settings.threads, '4', 'threads = "4"')
      for _, bad in ipairs({ 0, -1, 1.5, 'many', '0', '', true, {} }) do
        local ok, err = pcall(config.merge, { settings = { threads = bad } })
        H.ok(not ok, 'threads = ' .. vim.inspect(bad) .. ' accepted')
        H.ok(tostring(err):find('settings.threads must be "auto" or a positive integer', 1, true), tostring(err))
      end
      H.eq(config.merge({ prewarm = false }).prewarm, false, 'prewarm off')
      H.ok(not pcall(config.merge, { prewarm = 'no' }), 'bad prewarm')
      H.eq(vim.json.decode(vim.json.encode(config.wire_settings(config.merge({ settings = { threads = 3 } }).settings))).threads, 3, 'threads on the wire')
    end,
  },
  {
    'checkhealth derives the doctor command and parses its report',
    function()
      H.eq(health.doctor_cmd({ 'repofill', 'serve' }, config.defaults.settings), { 'repofill', 'doctor' }, 'doctor')
      H.eq(
        health.doctor_cmd({ '/py', '-m', 'repofill.lsp.cli', 'serve', '--no-index' }, vim.tbl_extend('force', config.defaults.settings, { modelPath = '/m.gguf' })),
        { '/py', '-m', 'repofill.lsp.cli', 'doctor', '--model-path', '/m.gguf' },
        'python doctor with a model'
      )
      H.eq(health.doctor_cmd({ 'nc', 'localhost', '9000' }, config.defaults.settings), nil, 'no serve: no doctor')
      local report = table.concat(vim.fn.readfile(vim.fs.joinpath(dir, 'doctor_output.txt')), '\n')
      local checks = health.parse_doctor(report)
      H.eq(#checks, 4, 'checks')
      H.eq(checks[1], { mark = 'ok', name = 'python', detail = '3.11.7 (/venv/bin/python3)' }, 'first')
      H.eq(checks[3], { mark = 'fail', name = 'model', detail = 'no model configured and the default model is not installed: pip install "repofill[default-model]"' }, 'fail')
      H.eq(checks[4].mark, 'warn', 'warn')
    end,
  },
})
