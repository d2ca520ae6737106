// A typedoc plugin for odekit's API reference: one module per package, named after the package
// (typedoc's "resolve" strategy would call them `core/src`), converted in one program (three
// times faster than the "packages" strategy, which builds a program per package).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const source = mod.sources?.[0]?.fullFileName;
      if (!source) continue;
      const pkg = JSON.parse(readFileSync(join(dirname(source), '..', 'package.json'), 'utf8'));
      mod.name = pkg.name;
    }
  });
}
