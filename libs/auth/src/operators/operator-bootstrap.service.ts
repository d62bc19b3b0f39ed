import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { UsersService } from '../users/users.service';

/**
 * First start (called by the server's main, not by the CLI or tests): on a database without any platform operator, create one in the
 * `invited` state and print a one-time setup secret (as Jenkins prints its
 * initial admin password). The secret is the invitation token: whoever reads
 * the server's console or DATA_DIR/setup-secret sets the operator's password
 * through /invite/<secret>; it stops working once used or after the TTL.
 */
@Injectable()
export class OperatorBootstrapService {
  private readonly logger = new Logger('FirstStart');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  /**
   * Returns the setup link when an operator was created now (and writes it to DATA_DIR/setup-secret).
   * It is not printed here: the server prints it with {@link printSetupBanner} once it listens, so
   * that the banner is the last thing on the console at first start, not lost among the start-up lines.
   */
  async ensureFirstOperator(): Promise<string | undefined> {
    const r: Array<{ n: number }> = await this.ds.query(`SELECT count(*)::int AS n FROM users WHERE role = 'operator'`);
    if (r[0].n > 0) return undefined;
    let url: string;
    try {
      const { invitation } = await this.users.createOperator(this.config.operatorEmail, undefined);
      url = invitation!.url;
    } catch {
      return undefined; // another instance created it at the same moment
    }
    const file = path.join(this.config.dataDir, 'setup-secret');
    fs.mkdirSync(this.config.dataDir, { recursive: true });
    fs.writeFileSync(file, `${url}\n`, { mode: 0o600 });
    return url;
  }

  /** The one-time setup link of a just-created operator, on the console (issue 18, bug 9: printed last). */
  printSetupBanner(url: string): void {
    const file = path.join(this.config.dataDir, 'setup-secret');
    const banner = [
      '',
      '*************************************************************',
      'Charlotte first start: a platform operator account was created.',
      `  e-mail:  ${this.config.operatorEmail}   (tenant code: platform)`,
      '  Set its password once with this one-time setup link:',
      `  ${url}`,
      `  (also written to ${file}; valid ${this.config.invitationTtlHours} h)`,
      '*************************************************************',
      '',
    ].join('\n');
    // Printed on the console only: this secret must not be kept in the log files.
    this.logger.log('first platform operator created; setup secret printed on the console');
    process.stdout.write(banner + '\n');
  }
}
