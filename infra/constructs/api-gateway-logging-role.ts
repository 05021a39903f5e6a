/**
 * The account-level role through which API Gateway writes WebSocket access logs.
 *
 * API Gateway refuses a WebSocket (or REST) stage with access logging ("CloudWatch Logs role
 * ARN must be set in account settings to enable logging") until the account, in that region,
 * names a role it may assume. That setting is ONE per account and region, shared by every
 * API in it, so both resources are retained when the stack is deleted: tearing down one
 * stage must not break another API's logging. Skip this construct (`-c
 * apiGatewayCloudWatchRole=false`) where the account already has such a role
 * (`aws apigateway get-account --query cloudwatchRoleArn`).
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export class ApiGatewayLoggingRole extends Construct {
  /** The account setting; stages with access logs must depend on it. */
  readonly account: CfnAccount;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway writes API logs to CloudWatch Logs (account-level setting)',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'This is the account-wide role API Gateway assumes to write the logs of EVERY API in this account ' +
        'and region, not only this stack\'s, so it cannot be scoped to this stack\'s log groups without ' +
        'breaking the others. AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy AWS ' +
        'documents for exactly this role; only the apigateway.amazonaws.com service can assume it.',
    });
    this.account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
