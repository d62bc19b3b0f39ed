import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNonNull, UUID_PATTERN } from '@charlotte/core';

export const APPROVAL_ACTIONS = ['submit', 'amend', 'withdraw'] as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];
export const APPROVAL_MODES = ['any', 'all'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];
export const APPROVAL_STATUSES = ['pending', 'approved', 'sent_back', 'cancelled'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** Limits: a route is a short chain of people, not an org chart. */
export const MAX_ROUTES = 50;
export const MAX_STEPS = 10;
export const MAX_APPROVERS = 20;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class ApprovalStepDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_APPROVERS, description: 'active users of the tenant' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_APPROVERS)
  @ArrayUnique()
  @Matches(UUID_PATTERN, { each: true, message: 'approvers must be user ids', context: { code: 'uuid' } })
  approvers: string[];

  @ApiProperty({ enum: APPROVAL_MODES, description: '`any`: one approver of the step suffices; `all`: every approver must approve' })
  @IsIn(APPROVAL_MODES)
  mode: ApprovalMode;
}

export class ApprovalRouteDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'kept when given (a new id otherwise)' })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'id must be a UUID', context: { code: 'uuid' } })
  id?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: '顧問先 (client company) the route is for; null: every application without a route of its own client',
  })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'clientId must be a UUID', context: { code: 'uuid' } })
  clientId?: string | null;

  @ApiProperty({ enum: APPROVAL_ACTIONS, isArray: true, minItems: 1 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(APPROVAL_ACTIONS, { each: true })
  appliesTo: ApprovalAction[];

  @ApiProperty({
    type: [ApprovalStepDto],
    minItems: 1,
    maxItems: MAX_STEPS,
    description: 'in order; each step must be approved before the next',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STEPS)
  @ValidateNested({ each: true })
  @Type(() => ApprovalStepDto)
  steps: ApprovalStepDto[];

  @ApiPropertyOptional({ description: 'whether an approver may approve a request they made themselves (default false)' })
  @IsOptional()
  @IsBoolean()
  allowSelfApproval?: boolean;
}

export class ApprovalRoutesDto {
  @ApiProperty({
    type: [ApprovalRouteDto],
    maxItems: MAX_ROUTES,
    description: 'the whole list (replaces the stored one); [] turns approvals off',
  })
  @IsArray()
  @ArrayMaxSize(MAX_ROUTES)
  @ValidateNested({ each: true })
  @Type(() => ApprovalRouteDto)
  routes: ApprovalRouteDto[];
}

export class ApprovalStepView {
  @ApiProperty({ type: [String], format: 'uuid' }) approvers: string[];
  @ApiProperty({ enum: APPROVAL_MODES }) mode: ApprovalMode;
}

export class ApprovalRouteView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) clientId: string | null;
  @ApiProperty({ enum: APPROVAL_ACTIONS, isArray: true }) appliesTo: ApprovalAction[];
  @ApiProperty({ type: [ApprovalStepView] }) steps: ApprovalStepView[];
  @ApiProperty() allowSelfApproval: boolean;
}

export class ApprovalRoutesView {
  @ApiProperty({ type: [ApprovalRouteView] }) routes: ApprovalRouteView[];
}

export class ApproveDto {
  @ApiPropertyOptional({ maxLength: 1000, description: 'コメント (sealed at rest)' })
  @IsOptionalNonNull()
  @IsString()
  @Transform(trim)
  @Length(0, 1000)
  comment?: string;
}

export class SendBackDto {
  @ApiProperty({ minLength: 1, maxLength: 1000, description: '差し戻しの理由 (shown to the requester; sealed at rest)' })
  @IsString()
  @Transform(trim)
  @Length(1, 1000)
  comment: string;
}

export class ListApprovalsQuery {
  @ApiPropertyOptional({ enum: ['me'], description: '`me`: the approvals waiting for my decision' })
  @IsOptional()
  @IsIn(['me'])
  assigned?: 'me';

  @ApiPropertyOptional({ format: 'uuid', description: 'the approvals of one application, newest first' })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'applicationId must be a UUID', context: { code: 'uuid' } })
  applicationId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque cursor from the previous page (nextCursor)' })
  @IsOptional()
  @IsString()
  @Length(1, 400)
  cursor?: string;
}

export class ApprovalDecisionView {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ enum: ['approved', 'sent_back'] }) decision: 'approved' | 'sent_back';
  @ApiProperty({ type: String, nullable: true }) comment: string | null;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class ApprovalStepStateView extends ApprovalStepView {
  @ApiProperty({ type: [ApprovalDecisionView] }) decisions: ApprovalDecisionView[];
}

export class ApprovalPersonView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'display name (表示名)' }) name: string;
}

export class ApprovalView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) applicationId: string;
  @ApiProperty({ description: 'procedure code of the application' }) procedureCode: string;
  @ApiProperty({ enum: APPROVAL_ACTIONS }) action: ApprovalAction;
  @ApiProperty({ enum: APPROVAL_STATUSES }) status: ApprovalStatus;
  @ApiProperty({ description: 'index of the step waiting for decisions (0-based)' }) currentStep: number;
  @ApiProperty({ type: [ApprovalStepStateView] }) steps: ApprovalStepStateView[];
  @ApiProperty() allowSelfApproval: boolean;
  @ApiProperty({ description: 'the application version this approval is for' }) applicationVersion: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the requesting user (null for an API token)' })
  requestedBy: string | null;
  @ApiProperty({ format: 'date-time' }) requestedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) decidedAt: string | null;
  @ApiProperty({ description: 'whether the caller may approve or send back now' }) canDecide: boolean;
  @ApiProperty({ type: [ApprovalPersonView], description: 'the names of the requester, the approvers and who decided' })
  people: ApprovalPersonView[];
}

/** One page: assigned=me oldest first (a queue), otherwise newest first. */
export class ApprovalListView {
  @ApiProperty({ type: [ApprovalView] }) items: ApprovalView[];
  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' })
  nextCursor: string | null;
}

export class ApprovalAcceptedView {
  @ApiProperty({ enum: ['awaiting_approval'] }) status: 'awaiting_approval';
  @ApiProperty({ format: 'uuid' }) approvalId: string;
}
