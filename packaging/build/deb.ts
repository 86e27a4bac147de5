import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_DEFAULTS, agentCleanupScript } from './stage';
import { fillTemplate, listTree, PACKAGING_DIR, readText, runTool, writeFileAt } from './tools';

const DEB_DIR = join(PACKAGING_DIR, 'deb');

/** Regular files under /etc are conffiles (Debian policy 10.7.2): an edit survives an upgrade. */
export function conffiles(stage: string): string[] {
  return listTree(stage)
    .filter((e) => e.kind === 'file' && e.path.startsWith('/etc/'))
    .map((e) => e.path);
}

/** Builds `NAME_VERSION_all.deb` from a staged root and packaging/deb/NAME, with dpkg-deb. */
export function buildDeb(name: string, stage: string, work: string, out: string, version: string): string {
  const root = join(work, `${name}-deb`);
  cpSync(stage, root, { recursive: true, verbatimSymlinks: true });
  const bytes = listTree(stage).reduce((sum, e) => sum + (e.kind === 'file' ? e.size : 0), 0);
  const values = {
    VERSION: version,
    INSTALLED_SIZE: String(Math.ceil(bytes / 1024)),
    CLEANUP: agentCleanupScript(),
    STATE_DIR: AGENT_DEFAULTS.stateDir,
  };
  const src = join(DEB_DIR, name);
  writeFileAt(join(root, 'DEBIAN', 'control'), fillTemplate(readText(join(src, 'control')), values), 0o644);
  for (const script of ['postinst', 'prerm', 'postrm']) {
    const body = fillTemplate(readText(join(src, script)), values);
    writeFileAt(join(root, 'DEBIAN', script), body, 0o755);
  }
  writeFileAt(join(root, 'DEBIAN', 'triggers'), readText(join(src, 'triggers')), 0o644);
  writeFileSync(
    join(root, 'DEBIAN', 'conffiles'),
    conffiles(stage)
      .map((p) => `${p}\n`)
      .join(''),
  );
  const deb = join(out, `${name}_${version}_all.deb`);
  runTool('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb]);
  return deb;
}
