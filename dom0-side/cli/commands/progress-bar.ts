/** `[#######.............]  7/20 pushes, 1 failed`: one line, redrawn in place with `\r`. */
export function renderProgress(done: number, failed: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  return `[${bar}] ${String(done).padStart(String(total).length)}/${total} pushes${failed ? `, ${failed} failed` : ''}`;
}
