// ESLint (flat config): typescript-eslint's recommended rules with type information, Vue 3's
// recommended rules, and Prettier's compatibility switch-off (layout is Prettier's job).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import prettier from 'eslint-config-prettier'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tests/artifacts/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // a leading underscore marks a value left unused on purpose (a skipped tuple slot, a required parameter)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      // route views and widgets are named after what they show; none of these names is an HTML element
      'vue/multi-word-component-names': ['error', { ignores: ['Editor', 'Embed', 'Snapshot', 'Tablet', 'Wall', 'Gauge', 'Sparkline'] }],
    },
  },
  {
    // a test reads response bodies field by field, whatever their shape: `any` is the honest type there
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
)
