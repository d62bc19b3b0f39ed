import * as packageLib from './package';
import type { PackageSignerRef } from './signing-hook';

/** What POST /apply/withdraw sends: a ZIP with a kousei of the withdrawal procedure and torisageirai.xml. */
export interface WithdrawalPackageInput {
  /** 到達番号 of the case to withdraw (also its 初回受付番号) */
  arriveId: string;
  /** 手続名称 of that case */
  procName: string;
  applicant: { name: string; address?: string };
  /** 取下げ理由 */
  reason: string;
  requestedAt: Date;
  signer?: PackageSignerRef;
}
export interface BuiltWithdrawalPackage {
  fileName: string;
  zip: Buffer;
}

type Builder = (input: WithdrawalPackageInput) => Promise<BuiltWithdrawalPackage> | BuiltWithdrawalPackage;

/**
 * The package lib's buildWithdrawalPackage (kousei 手続ID 9990000000000003, 申請種別 取下げ依頼,
 * 初回受付番号 = arrive_id, torisageirai.xml 様式ID 999000000000000003), looked up at run time
 * because it lands on main with the package rewrite (issue 16, H3). Until then a withdrawal fails
 * with the package lib's "cannot build" error rather than sending the old, invalid body.
 */
export async function buildWithdrawalPackage(input: WithdrawalPackageInput): Promise<BuiltWithdrawalPackage> {
  const build = (packageLib as unknown as { buildWithdrawalPackage?: Builder }).buildWithdrawalPackage;
  if (typeof build !== 'function')
    throw new packageLib.EgovPackageError(
      'egov_package_unknown_procedure',
      'the withdrawal package builder is not available',
      'withdrawal',
    );
  return build(input);
}
