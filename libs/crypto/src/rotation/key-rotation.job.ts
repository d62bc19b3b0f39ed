import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryLock } from '@charlotte/core';
import { KeyRotationService } from './key-rotation.service';

const ROTATION_LOCK = 774_211_020;

/** Resumes interrupted tenant key rotations every minute, on one instance at a time. */
@Injectable()
export class KeyRotationJob {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly rotation: KeyRotationService,
  ) {}

  @Cron(CronExpression.EVERY_MINUTE)
  run(): Promise<number | undefined> {
    return withAdvisoryLock(this.ds, ROTATION_LOCK, () => this.rotation.resumeAll());
  }
}
