#!/usr/bin/env bash
# Starts a CodeDeploy blue/green release of one service with the task definition Terraform just
# registered, and waits for it. Usage:
#   IMAGE_TAG=<git sha> npm run deploy -- <env>-app        # registers the new task definition revision
#   scripts/release-blue-green.sh <env> <service> <git sha>
# Names follow the stacks' conventions (<service-prefix>-<env>); override the prefix with SERVICE_PREFIX.
set -euo pipefail
if [ $# -ne 3 ]; then echo "usage: $0 <env> <service> <image tag>" >&2; exit 2; fi
env_name=$1 service=$2 tag=$3
prefix="${SERVICE_PREFIX:-drf-api}-${env_name}"
family="${prefix}-${service}"
here=$(cd "$(dirname "$0")/.." && pwd)

task_definition=$(aws ecs describe-task-definition --task-definition "$family" --query 'taskDefinition.taskDefinitionArn' --output text)
image=$(aws ecs describe-task-definition --task-definition "$family" \
  --query "taskDefinition.containerDefinitions[?name=='${service}'].image | [0]" --output text)
port=$(aws ecs describe-task-definition --task-definition "$family" \
  --query "taskDefinition.containerDefinitions[?name=='${service}'].portMappings[0].containerPort | [0]" --output text)
if [ "${image##*:}" != "$tag" ]; then
  echo "latest ${family} revision runs ${image}, not tag ${tag}: deploy ${env_name}-app with IMAGE_TAG=${tag} first" >&2
  exit 1
fi

appspec=$(sed -e "s|<TASK_DEFINITION_ARN>|${task_definition}|" -e "s|<CONTAINER_NAME>|${service}|" \
  -e "s|<CONTAINER_PORT>|${port}|" "$here/deploy/appspec.yaml")
revision=$(node -e 'process.stdout.write(JSON.stringify({revisionType: "AppSpecContent", appSpecContent: {content: process.argv[1]}}))' "$appspec")
deployment=$(aws deploy create-deployment --application-name "$family" --deployment-group-name "$family" \
  --revision "$revision" --description "image ${tag}" --query deploymentId --output text)

echo "deployment ${deployment}: green (${image}) starts beside blue and answers on the test listener."
echo "  continue now:  aws deploy continue-deployment --deployment-id ${deployment} --deployment-wait-type READY_WAIT"
echo "  roll back:     aws deploy stop-deployment --deployment-id ${deployment} --auto-rollback-enabled"
aws deploy wait deployment-successful --deployment-id "$deployment"
echo "deployment ${deployment} succeeded"
