import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deliveries to the power-supply company: one per EV-charger certificate, written in the issuing
 * transaction with its outbox row (which carries the attempts and the state); the receipt once it answers.
 */
export class PowerGridDeliveries1795800000000 implements MigrationInterface {
  name = 'PowerGridDeliveries1795800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE "power_grid_deliveries" ("id" uuid NOT NULL, "certificate_id" uuid NOT NULL, "application_id" uuid NOT NULL, "outbox_id" uuid NOT NULL, "receipt_no" character varying(40), "delivered_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_b7eebd1a58c07d73f2fbed38c85" UNIQUE ("certificate_id"), CONSTRAINT "UQ_1b494ce3b3347382fe112e6b5a9" UNIQUE ("application_id"), CONSTRAINT "UQ_e4667d8b570ed05ee263631e34b" UNIQUE ("outbox_id"), CONSTRAINT "PK_5bdf9814e1f8f03ffacc055df11" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `ALTER TABLE "power_grid_deliveries" ADD CONSTRAINT "FK_b7eebd1a58c07d73f2fbed38c85" FOREIGN KEY ("certificate_id") REFERENCES "certificates"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "power_grid_deliveries" ADD CONSTRAINT "FK_1b494ce3b3347382fe112e6b5a9" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "power_grid_deliveries" ADD CONSTRAINT "FK_e4667d8b570ed05ee263631e34b" FOREIGN KEY ("outbox_id") REFERENCES "outbox"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "power_grid_deliveries" DROP CONSTRAINT "FK_e4667d8b570ed05ee263631e34b"`);
    await db.query(`ALTER TABLE "power_grid_deliveries" DROP CONSTRAINT "FK_1b494ce3b3347382fe112e6b5a9"`);
    await db.query(`ALTER TABLE "power_grid_deliveries" DROP CONSTRAINT "FK_b7eebd1a58c07d73f2fbed38c85"`);
    await db.query(`DROP TABLE "power_grid_deliveries"`);
  }
}
