import type { Prisma, PrismaClient } from "./generated/prisma/client.ts";

/** Either the process's client or an interactive transaction: data-access functions take both. */
export type Db = PrismaClient | Prisma.TransactionClient;
