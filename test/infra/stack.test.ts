/**
 * The synthesized template, one behaviour per test (the stack is synthesized once per
 * variant; bundling is skipped here and checked by synth.test.ts).
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { LAMBDA_NAMES } from '../../infra/bundling';
import { synthStack, resourcesOf, functionLogicalId, statementsOf, actionsOf, render } from './support/stack';

const LOCAL_DEFAULT_SECRETS = ['local-stage-jwt-secret-at-least-32-chars', 'local-stage-webhook-secret'];

let template: Template;
let rendered: string;

beforeAll(() => {
  ({ template } = synthStack());
  rendered = JSON.stringify(template.toJSON());
});

const fnRef = (name: string) => Match.objectLike({ 'Fn::GetAtt': [functionLogicalId(template, name), 'Arn'] });

function integrationUriOf(routeKey: string, apiType: 'websocket' | 'http'): string {
  const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).filter((route) => route.Properties!.RouteKey === routeKey);
  expect(routes).toHaveLength(1);
  const target = render(routes[0]!.Properties!.Target);
  const integrationId = target.replace(/^integrations\/\$\{(.+)\}$/, '$1');
  const integration = resourcesOf(template, 'AWS::ApiGatewayV2::Integration')[integrationId];
  expect(integration?.Properties?.IntegrationType).toBe('AWS_PROXY');
  if (apiType === 'http') expect(integration?.Properties?.PayloadFormatVersion).toBe('2.0');
  return render(integration!.Properties!.IntegrationUri);
}

function environmentOf(name: string): Record<string, unknown> {
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionLogicalId(template, name)]!;
  return (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('WebSocket API', () => {
  it('routes $connect, $disconnect and $default to the connect, disconnect and message Lambdas', () => {
    expect(integrationUriOf('$connect', 'websocket')).toContain(functionLogicalId(template, 'connect'));
    expect(integrationUriOf('$disconnect', 'websocket')).toContain(functionLogicalId(template, 'disconnect'));
    expect(integrationUriOf('$default', 'websocket')).toContain(functionLogicalId(template, 'message'));
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 6); // 3 WebSocket + 3 HTTP
  });

  it('guards $connect with a REQUEST authorizer that reads the token query parameter', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
      AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([fnRef('authorizer')])] }),
    });
    const [authorizerId] = Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer'));
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
  });

  it('deploys one auto-deployed, throttled stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'dev',
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 }),
    });
  });

  it('keeps data tracing and execution logging off, since the handshake URL carries the token', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'dev',
      DefaultRouteSettings: Match.objectLike({ DataTraceEnabled: false, LoggingLevel: 'OFF' }),
    });
  });

  it('sets the account role API Gateway needs for WebSocket access logs, and keeps it on delete', () => {
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { StageName: 'dev' } }));
    expect((stage as { DependsOn?: string[] }).DependsOn).toEqual([expect.stringMatching(/^ApiGatewayCloudWatchRoleAccount/)]);
    const { template: without } = synthStack({ apiGatewayCloudWatchRole: 'false' });
    without.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('HTTP API', () => {
  it('serves GET /health, GET / and POST /webhooks/supabase from the HTTP Lambda', () => {
    for (const routeKey of ['GET /health', 'GET /', 'POST /webhooks/supabase']) {
      expect(integrationUriOf(routeKey, 'http')).toContain(functionLogicalId(template, 'http'));
    }
  });

  it('deploys an auto-deployed, throttled $default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
    });
  });
});

describe('access logs', () => {
  it('are JSON lines built from $context variables that never include the query string', () => {
    const stages = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(2);
    for (const stage of stages) {
      const { Format, DestinationArn } = stage.Properties!.AccessLogSettings as { Format: string; DestinationArn: unknown };
      expect(DestinationArn).toBeDefined();
      const fields = JSON.parse(Format) as Record<string, string>;
      expect(Object.keys(fields)).toContain('requestId');
      for (const value of Object.values(fields)) {
        expect(value).toMatch(/^\$context\.[A-Za-z.]+$/);
        expect(value).not.toMatch(/query|querystring|requestOverride|header|\$input|\$request\./i);
      }
    }
  });
});

describe('connections table', () => {
  it('is an on-demand table keyed by connectionId whose records expire by TTL on expiresAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('indexes connections by org (sort connectionId) with who holds them, for fan-out and presence', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'orgId-index',
          KeySchema: [
            { AttributeName: 'orgId', KeyType: 'HASH' },
            { AttributeName: 'connectionId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['userId', 'role', 'connectedAt', 'watchesPresence', 'editingStaffId', 'editingAt', 'departments'] },
        },
      ],
    });
  });
});

describe('functions', () => {
  it('runs every function on nodejs24.x and arm64', () => {
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(LAMBDA_NAMES.length);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    }
  });

  it('sizes memory and timeout per function', () => {
    const sizing = Object.fromEntries(
      LAMBDA_NAMES.map((name) => {
        const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionLogicalId(template, name)]!;
        return [name, [fn.Properties!.MemorySize, fn.Properties!.Timeout]];
      }),
    );
    expect(sizing).toEqual({
      authorizer: [512, 10],
      connect: [512, 10],
      disconnect: [512, 10],
      message: [1024, 15],
      broadcast: [1024, 60],
      http: [512, 10],
    });
  });

  it('gives each function exactly the settings it reads', () => {
    const common = ['NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'SERVICE_VERSION', 'STAGE'];
    const fanOut = ['BROADCAST_CONCURRENCY', 'BROADCAST_PAGE_SIZE', 'CONNECTIONS_TABLE', 'WS_MANAGEMENT_ENDPOINT'];
    const supabase = ['SUPABASE_SERVICE_KEY_SECRET_ARN', 'SUPABASE_URL'];
    const keys = (name: string) => Object.keys(environmentOf(name)).sort();
    expect(keys('authorizer')).toEqual([...common, 'JWKS_URL', 'JWT_ISSUER'].sort());
    // $connect and $disconnect announce the member to presence watchers: they fan out too.
    expect(keys('connect')).toEqual([...common, ...fanOut, 'BROADCASTER_FUNCTION_NAME'].sort());
    expect(keys('disconnect')).toEqual([...common, ...fanOut, 'BROADCASTER_FUNCTION_NAME'].sort());
    expect(keys('broadcast')).toEqual([...common, ...fanOut].sort());
    expect(keys('message')).toEqual([...common, ...fanOut, ...supabase, 'BROADCASTER_FUNCTION_NAME'].sort());
    expect(keys('http')).toEqual(
      [...common, ...fanOut, ...supabase, 'BROADCASTER_FUNCTION_NAME', 'WEBHOOK_SECRET_ARN', 'WEBSOCKET_URL'].sort(),
    );
  });

  it('points the functions at this stage, its callback URL and the broadcaster', () => {
    const message = environmentOf('message');
    expect(render(message.WS_MANAGEMENT_ENDPOINT)).toMatch(/^https:\/\/\$\{WebSocketApi\w+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/dev$/);
    expect(render(environmentOf('http').WEBSOCKET_URL)).toMatch(/^wss:\/\/\$\{WebSocketApi\w+\}\.execute-api\..*\/dev$/);
    expect(message.BROADCASTER_FUNCTION_NAME).toEqual({ Ref: functionLogicalId(template, 'broadcast') });
    expect(message.STAGE).toBe('dev');
  });

  it('verifies tokens through the Supabase JWKS with the project issuer by default', () => {
    const env = environmentOf('authorizer');
    expect(render(env.JWKS_URL)).toBe('${SupabaseUrl}/auth/v1/.well-known/jwks.json');
    expect(render(env.JWT_ISSUER)).toBe('${SupabaseUrl}/auth/v1');
  });

  it('takes the Supabase URL from context when given, else from a deploy-time parameter', () => {
    template.hasParameter('SupabaseUrl', { Type: 'String', AllowedPattern: Match.stringLikeRegexp('^\\^https') });
    const { template: withUrl } = synthStack({ supabaseUrl: 'https://abcd.supabase.co/' });
    expect(Object.keys(withUrl.findParameters('SupabaseUrl'))).toHaveLength(0);
    withUrl.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ JWT_ISSUER: 'https://abcd.supabase.co/auth/v1' }) },
    });
  });

  it('does not retry a failed broadcast hand-off, and drops one older than a heartbeat', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionLogicalId(template, 'broadcast') },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('keeps every log group for a bounded time', () => {
    const groups = Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(LAMBDA_NAMES.length + 2);
    for (const group of groups) expect(group.Properties!.RetentionInDays).toBe(30);
  });
});

describe('permissions', () => {
  const TABLE = /^\$\{ConnectionsTable\w+\.Arn\}$/;
  const ORG_INDEX = /^\$\{ConnectionsTable\w+\.Arn\}\/index\/orgId-index$/;

  function grants(name: string): Array<[string[], string]> {
    return statementsOf(template, name)
      .filter((statement) => !actionsOf(statement).every((action) => action.startsWith('logs:')))
      .flatMap((statement) => {
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        return resources.map((resource): [string[], string] => [actionsOf(statement), render(resource)]);
      });
  }

  it('lets each function write only to its own log group', () => {
    for (const name of LAMBDA_NAMES) {
      const logs = statementsOf(template, name).filter((statement) => actionsOf(statement).some((action) => action.startsWith('logs:')));
      expect(logs).toEqual([
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Functions\w+Logs/), 'Arn'] } },
      ]);
    }
    for (const role of Object.values(resourcesOf(template, 'AWS::IAM::Role'))) {
      if (render(role.Properties!.AssumeRolePolicyDocument).includes('lambda.amazonaws.com')) {
        expect(role.Properties!.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it('grants the authorizer nothing beyond its logs', () => {
    expect(grants('authorizer')).toEqual([]);
  });

  it('lets connect put records and message update them, on the table only; no other function writes one', () => {
    const writes = (name: string) => grants(name).filter(([actions]) => actions.some((action) => action === 'dynamodb:PutItem' || action === 'dynamodb:UpdateItem'));
    expect(writes('connect')).toEqual([[['dynamodb:PutItem'], expect.stringMatching(TABLE)]]);
    expect(writes('message')).toEqual([[['dynamodb:UpdateItem'], expect.stringMatching(TABLE)]]);
    for (const name of ['authorizer', 'disconnect', 'broadcast', 'http']) expect(writes(name)).toEqual([]);
  });

  it('lets the fan-out functions query the org index, get and delete records, and post to this stage only', () => {
    const extraTableGrants: Record<string, number> = { connect: 1, message: 1 };
    for (const name of ['connect', 'disconnect', 'message', 'broadcast', 'http']) {
      const granted = grants(name);
      expect(granted).toEqual(
        expect.arrayContaining([
          [['dynamodb:DeleteItem', 'dynamodb:GetItem'], expect.stringMatching(TABLE)],
          [['dynamodb:Query'], expect.stringMatching(ORG_INDEX)],
          [['execute-api:ManageConnections'], expect.stringMatching(/^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{WebSocketApi\w+\}\/dev\/\*\/@connections\/\*$/)],
        ]),
      );
      expect(granted.filter(([actions]) => actions.some((action) => action.startsWith('dynamodb:')))).toHaveLength(2 + (extraTableGrants[name] ?? 0));
    }
  });

  it('lets the functions that fan out invoke the broadcaster, and nothing else; the broadcaster not itself', () => {
    const broadcaster = functionLogicalId(template, 'broadcast');
    for (const name of LAMBDA_NAMES) {
      const invokes = grants(name).filter(([actions]) => actions.includes('lambda:InvokeFunction'));
      if (name !== 'authorizer' && name !== 'broadcast') {
        expect(invokes.map(([, resource]) => resource).sort()).toEqual([`\${${broadcaster}.Arn}`, `\${${broadcaster}.Arn}:*`]);
      } else {
        expect(invokes).toEqual([]);
      }
    }
  });

  it('lets only the functions that use a secret read it', () => {
    const secretReads = (name: string) =>
      grants(name)
        .filter(([actions]) => actions.includes('secretsmanager:GetSecretValue'))
        .map(([, resource]) => resource.replace(/^arn:\$\{AWS::Partition\}:secretsmanager:\$\{AWS::Region\}:\$\{AWS::AccountId\}:secret:/, ''))
        .sort();
    expect(secretReads('message')).toEqual(['staff-sync/dev/supabase-service-key-??????']);
    expect(secretReads('http')).toEqual(['staff-sync/dev/supabase-service-key-??????', 'staff-sync/dev/webhook-secret-??????']);
    for (const name of ['authorizer', 'connect', 'disconnect', 'broadcast']) expect(secretReads(name)).toEqual([]);
  });

  it('grants the authorizer the HS256 secret only when one is configured, by complete ARN', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:staff-sync/dev/jwt-AbC123';
    const { template: hs256 } = synthStack({ jwtSecret: arn });
    hs256.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SUPABASE_JWT_SECRET_ARN: arn, JWKS_URL: Match.anyValue() }) },
    });
    hs256.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: arn })]) },
    });
    expect(() => synthStack({ jwtSecret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:partial' })).toThrow(/complete Secrets Manager ARN/);
  });

  it('uses no wildcard beyond connection ids on this stage and versions of the broadcaster', () => {
    for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
      for (const statement of (policy.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action).not.toContain('*');
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        for (const resource of resources.map(render).filter((text) => text.includes('*'))) {
          expect(resource).toMatch(/(\/dev\/\*\/@connections\/\*|^\$\{FunctionsBroadcastFunction\w+\.Arn\}:\*)$/);
        }
      }
    }
  });
});

describe('secrets', () => {
  it('holds no secret value, only references, and no local-stage default', () => {
    for (const secret of LOCAL_DEFAULT_SECRETS) expect(rendered).not.toContain(secret);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(rendered).not.toMatch(/SecretString|resolve:secretsmanager/);
    for (const name of LAMBDA_NAMES) {
      const env = environmentOf(name);
      for (const key of Object.keys(env)) expect(key).not.toMatch(/^(SUPABASE_SERVICE_KEY|SUPABASE_JWT_SECRET|WEBHOOK_SECRET)$/);
      for (const key of Object.keys(env).filter((k) => /SECRET|KEY/.test(k))) {
        expect(render(env[key])).toMatch(/^arn:\$\{AWS::Partition\}:secretsmanager:/);
      }
    }
  });
});

describe('alarms', () => {
  it('alarms on errors and throttles of every function', () => {
    for (const name of LAMBDA_NAMES) {
      for (const metric of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(template, name) } }],
          Threshold: 1,
          TreatMissingData: 'notBreaching',
        });
      }
    }
  });

  it('alarms on WebSocket integration and execution errors and on HTTP 5xx', () => {
    for (const metric of ['IntegrationError', 'ExecutionError']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: metric,
        Dimensions: Match.arrayWith([{ Name: 'Stage', Value: 'dev' }]),
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: Match.arrayWith([{ Name: 'Stage', Value: '$default' }]),
    });
  });

  it('alarms on DynamoDB throttling of the table and of the org index', () => {
    for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/DynamoDB', MetricName: metric });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReadThrottleEvents',
      Dimensions: Match.arrayWith([{ Name: 'GlobalSecondaryIndexName', Value: 'orgId-index' }]),
    });
  });

  it('notifies the alarm topic, when one is given, of every alarm and its recovery', () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:ops';
    const { template: notified } = synthStack({ alarmTopicArn: topic });
    const alarms = Object.values(resourcesOf(notified, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    for (const alarm of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) expect(alarm.Properties!.AlarmActions).toBeUndefined();
  });
});

describe('outputs', () => {
  it('outputs WebSocketUrl, HttpApiUrl and ConnectionsTableName', () => {
    template.hasOutput('WebSocketUrl', { Value: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['wss://'])] }) });
    template.hasOutput('HttpApiUrl', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HttpApi'), 'ApiEndpoint'] } });
    template.hasOutput('ConnectionsTableName', { Value: { Ref: Match.stringLikeRegexp('^ConnectionsTable') } });
  });
});

describe('context', () => {
  it('refuses a stage name that cannot name an API stage and a stack', () => {
    expect(() => synthStack({ stage: 'Prod_1' })).toThrow(/stage must be/);
  });

  it('refuses a Supabase URL that is not an https origin', () => {
    expect(() => synthStack({ supabaseUrl: 'http://abcd.supabase.co' })).toThrow(/https:\/\/ origin/);
    expect(() => synthStack({ supabaseUrl: 'https://abcd.supabase.co/rest/v1' })).toThrow(/https:\/\/ origin/);
  });

  it('refuses JWKS off without an HS256 secret, since no token could be verified', () => {
    expect(() => synthStack({ jwksUrl: 'none' })).toThrow(/no token could ever be verified/);
  });
});
