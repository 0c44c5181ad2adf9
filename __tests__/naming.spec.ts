// The names contract: Terraform creates these names and `npm run release` finds resources by them,
// so a change here is a change to both (and to the pipelines' IAM policies).
import { BLUE_GREEN_TEST_HEADER_VALUE, environmentPrefix, serviceNames } from '../src/naming';

describe('naming', () => {
  it('derives every name of a service from project, environment and service alone', () => {
    expect(environmentPrefix('drf-api', 'prod')).toBe('drf-api-prod');
    expect(serviceNames('drf-api', 'prod', 'api')).toEqual({
      cluster: 'drf-api-prod',
      service: 'api',
      taskFamily: 'drf-api-prod-api',
      container: 'api',
      migrateFamily: 'drf-api-prod-api-migrate',
      migrateContainer: 'migrate',
      logGroup: '/ecs/drf-api-prod/api',
      migrateLogGroup: '/ecs/drf-api-prod/api-migrate',
      migrateLogStreamPrefix: 'migrate',
      taskRole: 'drf-api-prod-api-task',
      executionRole: 'drf-api-prod-api-execution',
      migrateTaskRole: 'drf-api-prod-api-migrate-task',
      migrateExecutionRole: 'drf-api-prod-api-migrate-execution',
      repository: 'drf-api-prod/api',
      releaseParameter: '/drf-api/prod/releases/api',
    });
  });

  it('keeps services and environments apart', () => {
    const a = serviceNames('drf-api', 'dev', 'api');
    const b = serviceNames('drf-api', 'dev', 'worker');
    const c = serviceNames('drf-api', 'staging', 'api');
    for (const key of Object.keys(a) as Array<keyof typeof a>) {
      if (key === 'migrateContainer' || key === 'migrateLogStreamPrefix') continue; // the same inside every migrate family
      if (key !== 'cluster') expect(a[key]).not.toBe(b[key]);
      if (key !== 'service' && key !== 'container') expect(a[key]).not.toBe(c[key]);
    }
  });

  it('the blue/green test header value is "green"', () => {
    expect(BLUE_GREEN_TEST_HEADER_VALUE).toBe('green');
  });
});
