import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { run as dockerfilelint } from 'dockerfilelint';

/** One problem a Dockerfile has: which linter or rule found it, and where. */
export interface DockerfileFinding {
  source: 'dockerfile-utils' | 'dockerfilelint' | 'frec-policy';
  rule: string;
  /** 1-based line. */
  line: number;
  message: string;
}

const lineOf = (i: Instruction): number => i.getRange().start.line + 1;

/**
 * frec's own image policy, on dockerfile-ast's parse (the parser dockerfile-utils uses):
 * the rules hadolint would apply that the two linters lack, plus what this repo requires.
 */
export function policyFindings(text: string): DockerfileFinding[] {
  const d = DockerfileParser.parse(text);
  const out: DockerfileFinding[] = [];
  const add = (rule: string, line: number, message: string) => out.push({ source: 'frec-policy', rule, line, message });
  const froms = d.getFROMs();
  if (froms.length < 2) add('multi-stage', 1, 'Build in a separate stage: the runtime stage must not hold build tools or caches.');
  for (const f of froms) {
    const tag = f.getImageTag();
    if (!f.getImageDigest() && (!tag || tag === 'latest'))
      add(
        'pinned-base',
        f.getRange().start.line + 1,
        `Base image '${f.getImageName()}' must be pinned by a tag other than latest, or a digest.`,
      );
  }
  const instructions = d.getInstructions();
  const lastFrom = froms.at(-1);
  const finalStage = lastFrom ? instructions.filter((i) => i.getRange().start.line > lastFrom.getRange().start.line) : [];
  const users = finalStage.filter((i) => i.getKeyword() === 'USER');
  const lastUser = users.at(-1);
  if (!lastUser) add('non-root', lineOf(lastFrom ?? instructions[0]!), 'The runtime stage has no USER: the container would run as root.');
  else {
    const user = (lastUser.getArgumentsContent() ?? '').split(':')[0]!.trim();
    if (user === 'root' || user === '0') add('non-root', lineOf(lastUser), 'The last USER is root.');
    else if (!/^[1-9]\d*$/.test(user))
      add('non-root', lineOf(lastUser), `USER '${user}' is a name: use a numeric UID so Kubernetes' runAsNonRoot can verify it.`);
  }
  for (const i of instructions) {
    const k = i.getKeyword();
    const args = i.getArgumentsContent() ?? '';
    if (k === 'RUN') {
      if (/\bnpm\s+(install|i|add)\b/.test(args)) add('npm-ci', lineOf(i), 'Install with `npm ci` (the lockfile), not `npm install`.');
      if (/\bnpm\s+ci\b/.test(args) && !/--omit[= ]dev\b/.test(args))
        add('omit-dev', lineOf(i), '`npm ci` must pass --omit=dev: devDependencies (vitest, eslint, typescript) stay out of the image.');
      if (/\bsudo\b/.test(args)) add('no-sudo', lineOf(i), 'Do not use sudo in a build.');
    }
    if (k === 'ADD') add('copy-not-add', lineOf(i), 'Use COPY: ADD fetches URLs and unpacks archives implicitly.');
    if ((k === 'CMD' || k === 'ENTRYPOINT') && !args.trim().startsWith('['))
      add('exec-form', lineOf(i), `${k} must use the JSON (exec) form, so the process gets SIGTERM directly.`);
  }
  return out;
}

/** Every finding of dockerfile-utils (Docker's grammar), dockerfilelint (best practices) and frec's policy. */
export function lintDockerfile(text: string, options: { configDir: string }): DockerfileFinding[] {
  const grammar = validate(text).map((diag): DockerfileFinding => ({
    source: 'dockerfile-utils',
    rule: String(diag.code ?? 'diagnostic'),
    line: diag.range.start.line + 1,
    message: typeof diag.message === 'string' ? diag.message : diag.message.value,
  }));
  const practice = dockerfilelint(options.configDir, text).map((f): DockerfileFinding => ({
    source: 'dockerfilelint',
    rule: f.rule,
    line: f.line,
    message: `${f.title}: ${f.description}`,
  }));
  return [...grammar, ...practice, ...policyFindings(text)];
}
