/**
 * What both history engines do the same way in SQL: a record by id or unique prefix, keyset pages
 * of records or summaries, counts, and removals in small batches (by filter or by retention). An
 * engine gives its dialect and how it runs a statement; a behaviour fixed here is fixed for both.
 * What really differs stays in the engines: appends, imports, following, opening and closing.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  binder,
  DELETE_BATCH,
  fromRow,
  pageOf,
  prefixCondition,
  refError,
  summaryColumns,
  summaryFromRow,
  whereOf,
  type DeliveryRow,
  type TextSearch,
} from './sql.js';
import type {
  DeliveryFilter,
  DeliveryRecord,
  DeliverySummary,
  Page,
  PageRequest,
  Retention,
} from './types.js';

export interface SqlDialect {
  /** The deliveries table. */
  table: string;
  /** The n-th bound value: `?` (SQLite) or `$n` (PostgreSQL). */
  placeholder: (n: number) => string;
  /** Case-insensitive match for the search filter. */
  like: 'LIKE' | 'ILIKE';
  /** The function that gives a blob's size in bytes. */
  byteLength: 'length' | 'octet_length';
  /** The engine's full-text index, for the search filter's words. */
  textSearch?: TextSearch;
  /** Brings the full-text index up to date before a search (an engine that indexes lazily). */
  beforeSearch?: () => Promise<void>;
}

export abstract class SqlHistory {
  protected constructor(private readonly dialect: SqlDialect) {}

  /** Runs a query; the engine's own errors come out as BluehookErrors. */
  protected abstract rows(sql: string, values?: unknown[]): Promise<DeliveryRow[]>;
  /** Runs a statement; how many rows it changed. */
  protected abstract execute(sql: string, values: unknown[]): Promise<number>;

  protected binder() {
    return binder(this.dialect.placeholder);
  }

  /** A filter that searches words needs the index up to date first. */
  protected async searchable(filter: DeliveryFilter): Promise<void> {
    if (filter.search?.trim()) await this.dialect.beforeSearch?.();
  }

  protected where(filter: DeliveryFilter, bind: ReturnType<typeof binder>['bind']): string {
    return whereOf(filter, bind, this.dialect.like, this.dialect.textSearch);
  }

  async get(ref: string): Promise<DeliveryRecord> {
    const { table } = this.dialect;
    const exact = await this.rows(
      `SELECT * FROM ${table} WHERE id = ${this.dialect.placeholder(1)}`,
      [ref],
    );
    if (exact.length) return fromRow(exact[0]!);
    const { values, bind } = this.binder();
    const hits = await this.rows(
      `SELECT * FROM ${table} WHERE ${prefixCondition(ref.toLowerCase(), bind)} LIMIT 2`,
      values,
    );
    if (hits.length !== 1) throw refError(ref, hits.length);
    return fromRow(hits[0]!);
  }

  async query(filter: DeliveryFilter, page: PageRequest = {}): Promise<Page> {
    return this.page('*', filter, page, fromRow);
  }

  async summaries(filter: DeliveryFilter, page: PageRequest = {}): Promise<Page<DeliverySummary>> {
    return this.page(summaryColumns(this.dialect.byteLength), filter, page, summaryFromRow);
  }

  /** One keyset page: a row more than asked tells whether another page follows. */
  private async page<T>(
    columns: string,
    filter: DeliveryFilter,
    page: PageRequest,
    map: (row: never) => T,
  ): Promise<Page<T>> {
    await this.searchable(filter);
    const { values, bind } = this.binder();
    const where = this.where(filter, bind);
    const p = pageOf(page, bind);
    const rows = await this.rows(
      `SELECT ${columns} FROM ${this.dialect.table} WHERE ${where} AND ${p.where} ORDER BY ${p.orderBy} LIMIT ${p.limit + 1}`,
      values,
    );
    const more = rows.length > p.limit;
    if (more) rows.pop();
    return {
      records: rows.map((r) => map(r as never)),
      next: more ? String(rows.at(-1)!.seq) : null,
    };
  }

  async count(filter: DeliveryFilter = {}): Promise<number> {
    await this.searchable(filter);
    const { values, bind } = this.binder();
    const rows = await this.rows(
      `SELECT count(*) AS n FROM ${this.dialect.table} WHERE ${this.where(filter, bind)}`,
      values,
    );
    return Number((rows[0] as unknown as { n: number | string }).n);
  }

  protected async maxSeq(): Promise<number> {
    const rows = await this.rows(`SELECT coalesce(max(seq), 0) AS m FROM ${this.dialect.table}`);
    return Number((rows[0] as unknown as { m: number | string }).m);
  }

  /** Deletes what `condition` selects in batches, yielding between them so writers get their turn. */
  private async deleteInBatches(condition: string, values: unknown[]): Promise<number> {
    const { table } = this.dialect;
    const sql = `DELETE FROM ${table} WHERE seq IN (SELECT seq FROM ${table} WHERE ${condition} LIMIT ${DELETE_BATCH})`;
    let removed = 0;
    for (;;) {
      const n = await this.execute(sql, values);
      removed += n;
      if (n < DELETE_BATCH) return removed;
      await nextTurn();
    }
  }

  async remove(filter: DeliveryFilter): Promise<number> {
    await this.searchable(filter);
    const { values, bind } = this.binder();
    // Bounded by what exists now: records appended while this runs are never removed by it.
    const where = `${this.where(filter, bind)} AND seq <= ${bind(await this.maxSeq())}`;
    return this.deleteInBatches(where, values);
  }

  async prune(retention: Retention): Promise<number> {
    const { table, placeholder } = this.dialect;
    let removed = 0;
    if (retention.maxAgeMs !== undefined)
      removed += await this.deleteInBatches(`time_ms < ${placeholder(1)}`, [
        Date.now() - retention.maxAgeMs,
      ]);
    if (retention.maxRecords !== undefined) {
      const [edge] = await this.rows(
        `SELECT seq FROM ${table} ORDER BY seq DESC LIMIT 1 OFFSET ${placeholder(1)}`,
        [retention.maxRecords],
      );
      if (edge)
        removed += await this.deleteInBatches(`seq <= ${placeholder(1)}`, [Number(edge.seq)]);
    }
    return removed;
  }
}
