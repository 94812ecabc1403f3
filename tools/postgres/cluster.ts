/// <reference types="node" />
// A throwaway PostgreSQL cluster for the centre's tests and bench: initdb into a temporary folder,
// postgres on a free loopback port, stopped by its PID and the folder removed at the end. Debian's
// `postgresql` package puts the programs in /usr/lib/postgresql/<version>/bin (PG_BINDIR picks
// others). PostgreSQL refuses to run as root, so as root (CI) the cluster runs as the `postgres`
// user the package creates: the folder is handed to it and the processes are started with its
// uid and gid (node's spawn, no su/sudo); as any other user it runs as that user.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const SUPERUSER = 'centre';
const READY_TIMEOUT_MS = 60_000;

interface Runner {
  readonly uid?: number;
  readonly gid?: number;
}

/** The folder holding initdb and postgres, or null. */
function binDir(): string | null {
  const fromEnv = process.env.PG_BINDIR;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : null;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0]!, 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  return which.status === 0 && path ? path.slice(0, path.lastIndexOf('/')) : null;
}

/** Whom the cluster runs as: the postgres user when we are root, else ourselves; null with the reason when impossible. */
function runner(): Runner | string {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'));
  if (!line) return 'running as root and there is no postgres user to run PostgreSQL as (Debian\'s postgresql package creates it)';
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Why no cluster can be started here (to skip with), or null when one can. */
export function postgresUnavailable(): string | null {
  if (!binDir()) return 'PostgreSQL is not installed (Debian: apt-get install postgresql; or set PG_BINDIR)';
  const who = runner();
  return typeof who === 'string' ? who : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Cluster {
  readonly port: number;
  /** PID of the postmaster, which stop() signals. */
  readonly pid: number;
  /** A new empty database; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT to the postmaster), then the folder is removed. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Durable commits (fsync) as in production; off by default, tests do not survive a machine crash. */
  readonly durable?: boolean;
}

async function waitReady(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections in ${READY_TIMEOUT_MS / 1000} s (${(error as Error).message}):\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Starts a cluster; throws with postgresUnavailable()'s reason or the server's log when it cannot. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const unavailable = postgresUnavailable();
  if (unavailable) throw new Error(unavailable);
  const bin = binDir()!;
  const who = runner() as Runner;
  const dir = mkdtempSync(join(tmpdir(), 'centre-pg-'));
  if (who.uid !== undefined) chownSync(dir, who.uid, who.gid!);
  const data = join(dir, 'data');
  const identity = who.uid === undefined ? {} : { uid: who.uid, gid: who.gid! };
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { encoding: 'utf8', cwd: dir, ...identity });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=50'];
  if (!options.durable) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const server = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...identity });
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      process.kill(server.pid!, 'SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const admin = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(admin, server, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    pid: server.pid!,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`database name "${name}": lower-case letters, digits, _`);
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
