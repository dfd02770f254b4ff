import { benchBundles } from "./bench/bundles";
console.log(JSON.stringify(await benchBundles()));
