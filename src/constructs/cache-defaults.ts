// The cache's accepted engine versions and documented defaults, without cdktf: the configuration
// rules read them too, and loading the config must not load the provider classes.

export type CacheEngine = 'valkey' | 'redis';

/** Engine versions this construct accepts: `major.minor`, IAM authentication needs Valkey ≥ 7.2 or Redis OSS ≥ 7.0. */
export const CACHE_ENGINE_VERSION: Record<CacheEngine, RegExp> = {
  valkey: /^(7\.([2-9]|\d{2,})|([89]|\d{2,})\.\d+)$/,
  redis: /^([7-9]|\d{2,})\.\d+$/,
};

/** The defaults the Props below document; config rules that need a resolved value read them from here. */
export const CACHE_DEFAULTS = {
  engine: 'valkey' as CacheEngine,
  replicas: 0,
  snapshotRetentionDays: 1,
  snapshotWindow: '16:00-17:00',
  maintenanceWindow: 'sun:18:00-sun:19:00',
  port: 6379,
  urlEnvVar: 'REDIS_URL',
} as const;
