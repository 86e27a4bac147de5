import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTALLED_TREE } from './bundle';
import { agentCleanupScript } from './stage';
import { fillTemplate, listTree, PACKAGING_DIR, readText, runTool } from './tools';

const RPM_DIR = join(PACKAGING_DIR, 'rpm');

/** Directories the package owns; everything else (/usr/bin, /etc/qubes-rpc …) belongs to the system. */
const OWNED_DIRS = [
  INSTALLED_TREE,
  '/usr/lib/node_modules/qnet',
  '/usr/share/qnet',
  '/etc/qubes/qubes-firewall.d',
  '/usr/lib/systemd/system/qubes-firewall.service.d',
];

const owned = (path: string) => OWNED_DIRS.some((d) => path === d || path.startsWith(`${d}/`));

/** The %files list of a staged root: owned directories, /etc files as noreplace config, the rest as they are. */
export function rpmFileList(stage: string): string[] {
  const lines = ['%defattr(-,root,root,-)'];
  for (const e of listTree(stage)) {
    // rpm takes %files lines as globs: quote nothing, but no qnet path holds a glob character.
    if (e.kind === 'dir') {
      if (owned(e.path)) lines.push(`%dir ${e.path}`);
    } else if (e.kind === 'file' && e.path.startsWith('/etc/')) lines.push(`%config(noreplace) ${e.path}`);
    else lines.push(e.path);
  }
  return lines;
}

/** Builds `NAME-VERSION.noarch.rpm` from a staged root and packaging/rpm/NAME.spec, with rpmbuild. */
export function buildRpm(name: string, stage: string, work: string, out: string, version: string): string {
  const top = join(work, `${name}-rpm`);
  mkdirSync(top, { recursive: true });
  const spec = join(top, `${name}.spec`);
  const text = fillTemplate(readText(join(RPM_DIR, `${name}.spec`)), {
    VERSION: version,
    FILES: rpmFileList(stage).join('\n'),
    CLEANUP: agentCleanupScript(),
  });
  writeFileSync(spec, text);
  runTool('rpmbuild', [
    '-bb',
    '--quiet',
    '--define',
    `_topdir ${top}`,
    '--define',
    `stage ${stage}`,
    // Debian's rpm has none of Fedora's post-install steps, and a noarch package of scripts needs none.
    '--define',
    '__os_install_post %{nil}',
    '--define',
    '_build_id_links none',
    '--define',
    '_binary_payload w9.xzdio',
    spec,
  ]);
  const rpm = join(out, `${name}-${version}.noarch.rpm`);
  copyFileSync(join(top, 'RPMS', 'noarch', `${name}-${version}-1.noarch.rpm`), rpm);
  return rpm;
}
