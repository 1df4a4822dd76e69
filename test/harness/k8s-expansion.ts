// Kubernetes' `$(VAR)` expansion of container command, args and env values, as the kubelet does it
// (kubernetes/third_party/forked/golang/expansion/expand.go): `$$` becomes `$`, `$(NAME)` the value
// of a defined variable, and anything else, an undefined `$(NAME)` included, stays as written.
export function expandLikeKubelet(input: string, env: Readonly<Record<string, string>>): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let read: string;
    let advance = 1;
    if (rest[0] === "$") read = "$";
    else if (rest[0] === "(") {
      const close = rest.indexOf(")");
      if (close > 0) {
        const name = rest.slice(1, close);
        read = name in env ? env[name] : `$(${name})`;
        advance = close + 1;
      } else read = "$(";
    } else read = `$${rest[0]}`;
    out += read;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
