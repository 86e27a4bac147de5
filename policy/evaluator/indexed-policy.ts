import type { Rule } from '../parser/rule';

/**
 * The rules in file order, indexed by service: a decision scans only the
 * rules of its own service and the `*` rules, interleaved as in the files.
 */
export class IndexedPolicy {
  private readonly byService = new Map<string, Rule[]>();
  private readonly wildcard: Rule[] = [];

  constructor(readonly rules: readonly Rule[]) {
    for (const rule of rules) {
      if (rule.service === null) {
        this.wildcard.push(rule);
        for (const list of this.byService.values()) list.push(rule);
        continue;
      }
      let list = this.byService.get(rule.service);
      if (!list) {
        list = [...this.wildcard];
        this.byService.set(rule.service, list);
      }
      list.push(rule);
    }
  }

  rulesFor(service: string): readonly Rule[] {
    return this.byService.get(service) ?? this.wildcard;
  }
}
