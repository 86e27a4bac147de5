// Child process for the crash-safety test: saves ever-changing inventories
// until it is killed. argv: state path, qube count.
import 'reflect-metadata';
import { FileInventoryStore } from '../../../../dom0-side/inventory/file-inventory-store';
import { Inventory } from '../../../../dom0-side/inventory/inventory';
import { qube } from '../qube-fixture';

async function main(): Promise<void> {
  const [path, countText] = process.argv.slice(2);
  const store = new FileInventoryStore({ path, maxBytes: 64 * 1024 * 1024 });
  const count = Number(countText);
  for (let gen = 1; ; gen++) {
    const qubes = Array.from({ length: count }, (_, i) =>
      qube(`q${i}`, i + 1, { features: { gen: String(gen), pad: 'x'.repeat(200) } }),
    );
    await store.save(Inventory.of(qubes));
    if (gen === 1) process.stdout.write('saved\n');
  }
}

void main();
