// The one list of resource types whose delete or replacement loses stored data or an identity that
// others rely on. Both review modes (synthesized JSON and Terraform's plan JSON) flag DANGER from it.

/**
 * Resource types that hold data (or the keys and names that make data reachable).
 *
 * - `aws_ssm_parameter` is in: the release record (`/<project>/<env>/releases/<svc>`, current and previous
 *   release for rollback) and any parameter whose value is set outside Terraform (`ignore_changes`)
 *   would be lost; a replacement would reset it to the Terraform default.
 * - `aws_kms_key`: deleting a key makes everything encrypted with it unreadable.
 * - `aws_route53_zone`: a new zone gets new name servers, which breaks the delegation.
 * - `aws_cognito_user_pool`, `aws_backup_vault`: users and backups.
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'aws_db_instance',
  'aws_rds_cluster',
  'aws_s3_bucket',
  'aws_ecr_repository',
  'aws_secretsmanager_secret',
  'aws_cloudwatch_log_group',
  'aws_kms_key',
  'aws_dynamodb_table',
  'aws_efs_file_system',
  'aws_route53_zone',
  'aws_elasticache_replication_group',
  'aws_elasticache_cluster',
  'aws_elasticache_serverless_cache',
  'aws_ssm_parameter',
  'aws_cognito_user_pool',
  'aws_backup_vault',
]);

/** Whether destroying a resource of `type` loses stored data or identity. */
export function isStateful(type: string): boolean {
  return STATEFUL_TYPES.has(type);
}
