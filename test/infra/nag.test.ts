/**
 * cdk-nag's AwsSolutions pack over the whole app: no finding may stand unacknowledged, and
 * the acknowledged ones are exactly the reviewed list below, each with its reason in code.
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { synthStack } from './support/stack';

/** Every acknowledged finding, as reviewed (the logical ids are those of stage `dev`). */
const REVIEWED = [
  'AwsSolutions-APIG4', // $disconnect/$default (connection admitted by the $connect authorizer); /health, / (public); the webhook (shared secret)
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
  'AwsSolutions-IAM5[Resource::<FunctionsBroadcastFunction0987C0BD.Arn>:*]',
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<WebSocketApi273F6915>/dev/*/@connections/*]',
];

function findingsOf(app: App): string[] {
  const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);
  return report.violations.map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`);
}

function acknowledgementsOf(app: App): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const plain = id.replace(/^Annotation::/, '');
        byId.set(plain, [...(byId.get(plain) ?? []), reason]);
      }
    }
  }
  return byId;
}

describe('cdk-nag AwsSolutions', () => {
  it('leaves no finding unacknowledged', () => {
    expect(findingsOf(synthStack().app)).toEqual([]);
  });

  it('leaves no finding unacknowledged with HS256, an alarm topic and an existing API Gateway role', () => {
    const { app } = synthStack({
      jwtSecret: 'staff-sync/dev/supabase-jwt-secret',
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
      apiGatewayCloudWatchRole: 'false',
      supabaseUrl: 'https://abcd.supabase.co',
    });
    expect(findingsOf(app)).toEqual([]);
  });

  it('acknowledges only the reviewed findings, each with a reason a reviewer can check', () => {
    const acknowledged = acknowledgementsOf(synthStack().app);
    expect([...acknowledged.keys()].sort()).toEqual([...REVIEWED].sort());
    for (const reasons of acknowledged.values()) {
      for (const reason of reasons) expect(reason.length).toBeGreaterThanOrEqual(120);
    }
  });
});
