/**
 * The connections table (docs/architecture.md §4): who is connected, to which org.
 * Records live at most as long as a connection (2 h on API Gateway) and are rebuilt by
 * reconnecting, so the table is ephemeral by nature.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The org index the broadcaster pages through (`shared/connection-store.ts` queries it by this name). */
export { ORG_INDEX_NAME } from '../../shared/connection-store';
import { ORG_INDEX_ATTRIBUTES, ORG_INDEX_NAME } from '../../shared/connection-store';

/** The TTL attribute: epoch SECONDS (DynamoDB TTL ignores milliseconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

export interface ConnectionsTableProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.DESTROY — the records describe sockets that die with the stack
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class ConnectionsTable extends Construct {
  /** The table; grant access through its grant methods. */
  readonly table: ITableV2;

  constructor(scope: Construct, id: string, props: ConnectionsTableProps = {}) {
    super(scope, id);
    const table = new TableV2(this, 'Table', {
      partitionKey: { name: 'connectionId', type: AttributeType.STRING },
      // On-demand: traffic follows how many people have the app open, which is spiky and
      // often zero; there is nothing to provision and nothing to pay while idle.
      billing: Billing.onDemand(),
      timeToLiveAttribute: TTL_ATTRIBUTE,
      globalSecondaryIndexes: [
        {
          indexName: ORG_INDEX_NAME,
          partitionKey: { name: 'orgId', type: AttributeType.STRING },
          sortKey: { name: 'connectionId', type: AttributeType.STRING },
          // Fan-out reads only the keys; presence also who holds each connection. Projecting those
          // few small attributes lets one query answer both, with no read per record.
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...ORG_INDEX_ATTRIBUTES],
        },
      ],
      // No point-in-time recovery: every record expires within 2 hours and is rewritten when
      // its client reconnects, so there is nothing a restore would bring back. Staff data
      // lives in Supabase Postgres, with its own backups.
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.table = table;
  }

  /** `$connect`: write one connection record. */
  grantPutConnection(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, ['dynamodb:PutItem']);
  }

  /** A connection's own record changed in place: its presence watch and editing marker. */
  grantUpdateConnection(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, ['dynamodb:UpdateItem']);
  }

  /**
   * Broadcasting: page through the org index (Query on that one index), read one record
   * (GetItem, also the health check) and prune a connection that answered 410 (DeleteItem,
   * which is also how `$disconnect` forgets its own).
   */
  grantFanOut(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, ['dynamodb:GetItem', 'dynamodb:DeleteItem']).combine(
      Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [`${this.table.tableArn}/index/${ORG_INDEX_NAME}`] }),
    );
  }

  // The table's own `grant()` would add `index/*` to every statement, even to PutItem and
  // DeleteItem, which cannot act on an index; these grants name exactly what is used.
  private grantOnTable(grantee: IGrantable, actions: string[]): Grant {
    return Grant.addToPrincipal({ grantee, actions, resourceArns: [this.table.tableArn] });
  }
}
