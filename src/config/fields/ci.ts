// Field schemas of the pipeline identities: `project.ci` (which CI systems) and an environment's `ci`.
import { z } from 'zod';
import { checked } from '../validators';

// github.com/<org>/<repo>: GitHub's rules for organization (39 chars, no leading "-") and repository names.
export const GITHUB_REPOSITORY = /^github\.com\/[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
// Lower-case, as CircleCI shows ids and writes them into its tokens (the trust compares exactly).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuid = checked((v) => UUID.test(v), 'a lower-case UUID such as "0f8e5c1a-7d2b-4c3e-9a1f-2b3c4d5e6f70"');
const oidcProviderMode = z.enum(['create', 'existing']);

export const projectCiSchema = z.strictObject({
  /** GitHub Actions (`.github/workflows/`): OIDC provider `token.actions.githubusercontent.com`. */
  github: z
    .strictObject({
      /** Trust GitHub Actions. @default true */
      enabled: z.boolean().default(true),
    })
    .prefault({}),
  /** CircleCI (`.circleci/`): OIDC provider `oidc.circleci.com/org/<organizationId>`. Off when absent. */
  circleci: z
    .strictObject({
      /** Trust CircleCI. @default true */
      enabled: z.boolean().default(true),
      /** Organization Settings → Overview → Organization ID: the provider's URL and the tokens' audience. */
      organizationId: uuid,
      /** Project Settings → Overview → Project ID: the only project whose jobs the roles trust. */
      projectId: uuid,
    })
    .optional(),
});

export const environmentCiSchema = z.strictObject({
  /**
   * The GitHub deployment environment whose jobs may assume the apply and release roles (their
   * customised OIDC subject is `repo:<org>/<repo>:environment:<name>:job_workflow_ref:<org>/<repo>/.github/workflows/<terraform|release>.yml@refs/heads/<deployBranch>`).
   * Give it required reviewers and restrict it to the deploy branch (README). Required in production.
   * @default the environment's name (outside production)
   */
  githubEnvironment: checked((v) => /^[A-Za-z0-9._-]{1,255}$/.test(v), 'a GitHub environment name (letters, digits, ".", "_", "-")').optional(),
  /**
   * The branch whose pipelines may assume the apply and release roles: GitHub, the ref of the
   * workflow file in the subject (`…@refs/heads/<branch>`); CircleCI, the v2 subject's
   * `…/vcs-ref/refs/heads/<branch>`. No wildcards: the trust compares it literally.
   * @default "main"
   */
  deployBranch: checked((v) => /^[A-Za-z0-9._/-]{1,255}$/.test(v) && !v.includes('..'), 'a branch name').default('main'),
  /**
   * The CircleCI project whose jobs may assume this environment's roles, instead of
   * `project.ci.circleci.projectId`. CircleCI tokens cannot name the context a job uses, so any job of a
   * project on the deploy branch can mint any environment's audience; a production environment trusting
   * a project of its own (whose pipelines run only production's jobs, with its own write access) is
   * what separates it (README "Pipeline identities").
   * @default project.ci.circleci.projectId
   */
  circleciProjectId: uuid.optional(),
  /**
   * Per OIDC provider: `create` it in this environment's account, or reference the one that already
   * exists there (an account holds one provider per URL: when environments share an account, one
   * creates it and the others say `existing`; README tells how to import one made by hand).
   */
  oidcProviders: z
    .strictObject({
      /** @default "create" */
      github: oidcProviderMode.default('create'),
      /** @default "create" */
      circleci: oidcProviderMode.default('create'),
    })
    .prefault({}),
});
