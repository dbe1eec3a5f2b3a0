import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'apps/web/dist/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    // No consistent-type-imports: Nest's dependency injection reads constructor parameter types at
    // run time (decorator metadata), so a class used only as a type must still be imported as a value.
    rules: {
      '@typescript-eslint/consistent-type-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @zhengming/config only.' },
      ],
    },
  },
  {
    files: [
      'libs/config/src/**/*.ts',
      'test/**/*.ts',
      'bench/**/*.ts',
      'tools/**/*.ts',
      '**/*.spec.ts',
      '**/*.integration-spec.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  // apps/web: Vue single-file components (<script setup lang="ts">). The plugin's rule sets carry no
  // `files`, so scope them to the web app to keep them off the Nest code.
  ...pluginVue.configs['flat/recommended'].map((config) => ({
    ...config,
    files: config.files ? ['apps/web/**/*.vue'] : ['apps/web/**/*.{ts,vue}'],
  })),
  {
    files: ['apps/web/**/*.vue'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
    // What typescript-eslint switches off for .ts files (no-undef and friends: the compiler checks these).
    rules: {
      ...tseslint.configs.eslintRecommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Prettier lays out templates; eslint-plugin-vue's layout rules would fight it.
    files: ['apps/web/**/*.vue'],
    rules: {
      'vue/first-attribute-linebreak': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/html-closing-bracket-spacing': 'off',
      'vue/html-indent': 'off',
      'vue/html-quotes': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/mustache-interpolation-spacing': 'off',
      'vue/singleline-html-element-content-newline': 'off',
    },
  },
);
