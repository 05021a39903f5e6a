/**
 * The CDK app (`cdk.json` runs it through tsx): one staff-sync stack per stage, checked by
 * cdk-nag's AwsSolutions pack — an unacknowledged finding fails the synth.
 *
 *   npx cdk deploy -c stage=dev -c supabaseUrl=https://abcd.supabase.co
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from './context';
import { StaffSyncStack } from './stack';

const app = new App();
const props = stackPropsFromContext(app);
new StaffSyncStack(app, `StaffSync-${props.stage}`, props);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
