import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DefaultTheme, defineConfig } from 'vitepress';

const root = new URL('..', import.meta.url).pathname;

/** The API sidebars, read from typedoc's output (`api/@odekit/<pkg>/<kind>/<Name>.md`): one per package. */
function apiSidebars(): DefaultTheme.SidebarMulti {
  const base = join(root, 'api', '@odekit');
  if (!existsSync(base)) return {};
  const kinds: [string, string][] = [
    ['functions', 'Functions'],
    ['classes', 'Classes'],
    ['interfaces', 'Interfaces'],
    ['type-aliases', 'Types'],
    ['variables', 'Constants'],
  ];
  const packages = readdirSync(base).sort();
  const list: DefaultTheme.SidebarItem = {
    text: 'API reference',
    link: '/api/',
    items: packages.map((pkg) => ({ text: `@odekit/${pkg}`, link: `/api/@odekit/${pkg}/` })),
  };
  const out: DefaultTheme.SidebarMulti = { '/api/': [list] };
  for (const pkg of packages)
    out[`/api/@odekit/${pkg}/`] = [
      { text: '← API reference', link: '/api/' },
      {
        text: `@odekit/${pkg}`,
        link: `/api/@odekit/${pkg}/`,
        items: kinds
          .filter(([dir]) => existsSync(join(base, pkg, dir)))
          .map(([dir, text]) => ({
            text,
            collapsed: dir !== 'functions',
            items: readdirSync(join(base, pkg, dir))
              .filter((f) => f.endsWith('.md'))
              .sort()
              .map((f) => ({
                text: f.replace(/\.md$/, ''),
                link: `/api/@odekit/${pkg}/${dir}/${f.replace(/\.md$/, '')}`,
              })),
          })),
      },
    ];
  return out;
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'The story',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'Tutorial: discovering Lotka–Volterra', link: '/tutorial/' },
      { text: 'The discovery demo', link: '/guide/demo' },
    ],
  },
  {
    text: 'Guides',
    items: [
      { text: 'Solving ODEs', link: '/guide/solving-odes' },
      { text: 'Stiff problems', link: '/guide/stiff-problems' },
      { text: 'Differentiating through solves', link: '/guide/differentiating' },
      { text: 'Neural ODEs', link: '/guide/neural-odes' },
      { text: 'Training tricks', link: '/guide/training' },
      { text: 'Symbolic regression', link: '/guide/symbolic-regression' },
      { text: 'Observables and datasets', link: '/guide/observables' },
      { text: 'Performance', link: '/guide/performance' },
      { text: 'Troubleshooting', link: '/guide/troubleshooting' },
    ],
  },
  {
    text: 'Concepts',
    items: [
      { text: 'Neural ODEs vs PINNs', link: '/concepts/neural-odes-vs-pinns' },
      { text: 'Neural ODEs vs ResNets', link: '/concepts/neural-odes-vs-resnets' },
    ],
  },
  {
    text: 'Coming from…',
    items: [
      { text: 'Diffrax, Equinox, Optax', link: '/migration/diffrax' },
      { text: 'torchdiffeq, PyTorch', link: '/migration/torchdiffeq' },
      { text: 'PySR, PySINDy', link: '/migration/pysr' },
    ],
  },
];

export default defineConfig({
  title: 'odekit',
  description:
    'Neural differential equations for TypeScript: ODE solvers you can backpropagate through, NN layers, training, symbolic regression.',
  lang: 'en',
  srcExclude: ['README.md', 'examples/**', 'scripts/**', 'src/**', 'generated/**', 'test-output/**'],
  cleanUrls: false,
  lastUpdated: false,
  // Offline: no CDN, no external fonts (the default theme ships Inter with the site).
  // (a favicon of our own, so browsers do not ask for a missing /favicon.ico)
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  markdown: { math: false, lineNumbers: false },
  themeConfig: {
    nav: [
      { text: 'Tutorial', link: '/tutorial/' },
      { text: 'Guides', link: '/guide/solving-odes' },
      { text: 'Concepts', link: '/concepts/neural-odes-vs-pinns' },
      { text: 'Migration', link: '/migration/diffrax' },
      { text: 'API', link: '/api/' },
      { text: 'Demo', link: '/guide/demo' },
    ],
    sidebar: { ...apiSidebars(), '/': guide },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
  },
  vite: {
    server: { fs: { allow: [join(root, '..', '..')] } },
    // the local search index of ~270 pages is one ~0.5 MB chunk, loaded when the search opens
    build: { chunkSizeWarningLimit: 800 },
  },
});
