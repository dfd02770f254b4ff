/** Builds a FilterExpression with placeholder names and values, so metric and tag names need no escaping. */
export class FilterBuilder {
  private readonly clauses: string[] = [];
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};

  add(clause: (value: (v: unknown) => string) => string, names: Record<string, string>): void {
    Object.assign(this.names, names);
    this.clauses.push(clause((v) => this.value(v)));
  }

  addNested(map: string, key: string, operator: ">=" | "<=" | "=", value: unknown): void {
    const n = Object.keys(this.names).length;
    this.add((v) => `#map${n}.#key${n} ${operator} ${v(value)}`, { [`#map${n}`]: map, [`#key${n}`]: key });
  }

  build(keyValues: Record<string, unknown>) {
    if (this.clauses.length === 0) return { ExpressionAttributeValues: keyValues };
    return {
      FilterExpression: this.clauses.join(" AND "),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: { ...keyValues, ...this.values },
    };
  }

  private value(v: unknown): string {
    const placeholder = `:f${Object.keys(this.values).length}`;
    this.values[placeholder] = v;
    return placeholder;
  }
}
