/**
 * The stack synthesized in-process for assertions and cdk-nag, with asset bundling skipped
 * (`aws:cdk:bundling-stacks: []`): the template is the same apart from asset hashes, and
 * bundling the six functions is the synth test's job (`synth.test.ts`), done once.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stackPropsFromContext } from '../../../infra/context';
import { StaffSyncStack } from '../../../infra/stack';

export interface SynthesizedStack {
  readonly app: App;
  readonly stack: StaffSyncStack;
  readonly template: Template;
}

/** Synthesizes the stack from context, as `cdk synth -c stage=dev -c …` would. */
export function synthStack(context: Record<string, string> = {}): SynthesizedStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], stage: 'dev', ...context } });
  const props = stackPropsFromContext(app);
  const stack = new StaffSyncStack(app, `StaffSync-${props.stage}`, props);
  return { app, stack, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;

export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of the function built from `lambdas/{name}.ts` (`Functions/{Name}/Function`). */
export function functionLogicalId(template: Template, name: string): string {
  const prefix = `Functions${name.charAt(0).toUpperCase()}${name.slice(1)}Function`;
  const ids = Object.keys(resourcesOf(template, 'AWS::Lambda::Function')).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one function ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

/** The IAM statements attached to the role of one function. */
export function statementsOf(template: Template, name: string): Array<Record<string, unknown>> {
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionLogicalId(template, name)]!;
  const roleId = ((fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties!.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
    .flatMap((policy) => (policy.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
}

/** `Action` of a statement as a sorted list. */
export function actionsOf(statement: Record<string, unknown>): string[] {
  const action = statement.Action as string | string[];
  return (Array.isArray(action) ? [...action] : [action]).sort();
}

/** Any CloudFormation value as text, tokens included (`{"Ref":"X"}` → `${X}`). */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Ref' in object) return `\${${String(object.Ref)}}`;
    if ('Fn::GetAtt' in object) return `\${${(object['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}
