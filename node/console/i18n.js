// Labels in English and Chinese. Elements carry data-i18n="key"; t(key) for text built in JS.
const LABELS = {
  en: {
    skip: 'Skip to content', title: 'yrd-ledger console', langHint: 'Switch the language of the labels',
    tabNetwork: 'Network', tabExplorer: 'Explorer', tabVerify: 'Verify', tabResolve: 'Resolve',
    networkTitle: 'This node', networkPolling: 'Refreshed every 2 seconds.', updated: 'updated',
    networkLive: 'Live: new heads arrive over a WebSocket subscription; peers refreshed every 2 seconds.',
    reportedHint: 'Round and height of the other nodes are what their newest consensus message to this node showed: reports, not verified facts.',
    lastHeard: 'Last heard', secondsAgo: 's ago', unknownProvince: 'not named',
    validatorSet: 'Validator set', nodeKey: 'Node key', role: 'Role', connected: 'Connected', address: 'Address',
    chainId: 'Chain', nodeRole: 'Role of this node', headHeight: 'Head height', round: 'Round', epoch: 'Epoch',
    lastCommit: 'Last commit (block time)', peers: 'Peers connected', syncing: 'Syncing', mempool: 'Mempool',
    headBlock: 'Head block', stateRoot: 'State root', version: 'Version', thisNode: 'this node',
    validator: 'validator', observer: 'observer', yes: 'yes', no: 'no',
    explorerTitle: 'Explorer',
    explorerHint: 'What this node answers, as it answers it. Proven answers are checked on the Verify tab.',
    explorerLimits: 'The node has no method that lists every issuer, type or DID: look them up by key, code or DID.',
    blocks: 'Blocks and transactions', blockRef: 'Height, block id or "latest"', show: 'Show', recent: 'Latest 10 blocks',
    txHash: 'Transaction hash', licence: 'Licence status and history', issuerUscc: 'Issuer USCC', commitment: 'Commitment',
    issuersTitle: 'Issuers and accreditations', issuerKey: 'Issuer signing key', typesTitle: 'Licence types and recognition policies',
    typeCode: 'Licence type code', didsTitle: 'DIDs', versions: 'Versions',
    height: 'Height', blockId: 'Block id', proposer: 'Proposer', txs: 'Transactions', time: 'Time', certificate: 'Commit certificate',
    signers: 'signers', none: 'none', kind: 'Kind', signer: 'Signer', nonce: 'Nonce', receipt: 'Receipt', index: 'Index',
    withheld: 'payload withheld (licence-bearing transaction)', txStatus: 'Status',
    status: 'Status', valid: 'Valid', disclosure: 'Disclosure', licenceType: 'Licence type', dataClass: 'Data class',
    validFrom: 'Valid from', validUntil: 'Valid until', anchoredHeight: 'Anchored at height', issuer: 'Issuer',
    history: 'History', seq: '#', reason: 'Reason', province: 'Province', accreditedTypes: 'Accredited types',
    accreditedHeight: 'Accredited at height', updatedHeight: 'Updated at height', name: 'Name', owner: 'Owner', code: 'Code',
    schemaDigest: 'Schema digest', policyMatrix: 'Recognition policies for this type (rows: recognising province; columns: issuing province)',
    recognising: 'recognising ↓ / issuing →', home: 'home', active: 'active', withdrawn: 'withdrawn', noPolicy: 'no policy',
    condition: 'condition', latestVersion: 'Latest version', deactivated: 'deactivated', created: 'created', updated2: 'updated',
    verifyTitle: 'Verify a licence',
    verifyPrivacy: "The identifier and salt stay in this page: it derives the licence's commitment here and sends the node only the issuer and the commitment. The node's answer is checked here, against the genesis file, by the verifier compiled to WebAssembly.",
    licenceSecrets: 'The licence', licenceId: 'Licence identifier', salt: 'Salt (64 hex characters)', region: 'Verifying region',
    p310000: 'Shanghai', p320000: 'Jiangsu', p330000: 'Zhejiang', p340000: 'Anhui',
    genesisFile: 'Genesis file (the only thing the check trusts)',
    pinWarning: 'A genesis file fetched from this node is only as trustworthy as the node. Pin its hash: compare the hash below with the one your bureau published, or load your own copy of the file.',
    genesisFromNode: 'Fetch it from this node', genesisOwn: 'Use my own file', genesisUpload: 'Genesis file', genesisPaste: 'or paste it',
    genesisPin: 'Pinned genesis hash (optional; the check stops if it differs)', genesisHash: 'Genesis hash',
    verifyButton: 'Ask the node and verify', verified: 'Verified against the genesis file',
    notVerified: 'NOT verified: the answer does not pass the check', failedCheck: 'failed check',
    derived: 'Commitment derived in this page', asking: 'Asking the node…', provenAt: 'proven at state height',
    licenceValid: 'licence valid', licenceNotValid: 'licence not valid', recognisedIn: 'recognised in', notRecognisedIn: 'NOT recognised in',
    neverAnchored: 'never anchored (absence proven)', pinMismatch: 'The genesis hash differs from the pinned one: nothing was checked.',
    noGenesis: 'Load a genesis file first.', answerRaw: 'The node\'s answer', summary: 'What the proof shows',
    resolveTitle: 'Resolve a DID', versionId: 'Version (optional)', resolve: 'Resolve', didDocument: 'DID document',
    didMetadata: 'Document metadata', resolutionMetadata: 'Resolution metadata', proofChecked: 'answer verified against the genesis file',
    proofNotChecked: 'answer not verified', footer: 'Served by this node; nothing is loaded from elsewhere.',
    error: 'Error', notFound: 'not found',
    st_active: 'active', st_suspended: 'suspended', st_revoked: 'revoked',
    b_homeProvince: 'issued in this province', b_policy: 'by the region\'s recognition policy',
    b_noPolicy: 'no recognition policy for this type and issuing province', b_policyWithdrawn: 'the policy was withdrawn',
    b_conditionNotMet: 'the policy\'s condition does not hold', summaryNote: '(as the verifier words it)',
  },
  zh: {
    skip: '跳到内容', title: '长三角证照链控制台', langHint: '切换标签语言',
    tabNetwork: '网络', tabExplorer: '浏览', tabVerify: '核验', tabResolve: 'DID 解析',
    networkTitle: '本节点', networkPolling: '每 2 秒刷新。', updated: '更新于',
    networkLive: '实时：新区块通过 WebSocket 订阅推送；对等节点每 2 秒刷新。',
    reportedHint: '其他节点的轮次与高度取自它们发给本节点的最新共识消息：是节点自报，未经校验。',
    lastHeard: '最近消息', secondsAgo: '秒前', unknownProvince: '未注明',
    validatorSet: '验证节点集合', nodeKey: '节点公钥', role: '角色', connected: '已连接', address: '地址',
    chainId: '链', nodeRole: '本节点角色', headHeight: '最新高度', round: '轮次', epoch: '纪元',
    lastCommit: '最近提交（区块时间）', peers: '已连接节点数', syncing: '同步中', mempool: '交易池',
    headBlock: '最新区块', stateRoot: '状态根', version: '版本', thisNode: '本节点',
    validator: '验证节点', observer: '观察节点', yes: '是', no: '否',
    explorerTitle: '浏览',
    explorerHint: '本节点的原始回答。带证明的回答请在“核验”页中校验。',
    explorerLimits: '节点没有列出全部发证机构、证照类型或 DID 的方法：请按公钥、代码或 DID 查询。',
    blocks: '区块与交易', blockRef: '高度、区块 ID 或 "latest"', show: '查询', recent: '最近 10 个区块',
    txHash: '交易哈希', licence: '证照状态与历史', issuerUscc: '发证机构统一社会信用代码', commitment: '承诺值',
    issuersTitle: '发证机构与授权', issuerKey: '发证机构签名公钥', typesTitle: '证照类型与互认政策',
    typeCode: '证照类型代码', didsTitle: 'DID', versions: '版本',
    height: '高度', blockId: '区块 ID', proposer: '提议者', txs: '交易', time: '时间', certificate: '提交证书',
    signers: '个签名', none: '无', kind: '类型', signer: '签名者', nonce: '序号', receipt: '回执', index: '序位',
    withheld: '内容不公开（涉证照交易）', txStatus: '状态',
    status: '状态', valid: '有效', disclosure: '披露级别', licenceType: '证照类型', dataClass: '数据分级',
    validFrom: '有效期起', validUntil: '有效期止', anchoredHeight: '上链高度', issuer: '发证机构',
    history: '历史', seq: '序', reason: '原因', province: '省份', accreditedTypes: '授权类型',
    accreditedHeight: '授权高度', updatedHeight: '更新高度', name: '名称', owner: '归属', code: '代码',
    schemaDigest: '模式摘要', policyMatrix: '该类型的互认政策（行：认可省份；列：发证省份）',
    recognising: '认可方 ↓ / 发证方 →', home: '本省', active: '生效', withdrawn: '已撤回', noPolicy: '无政策',
    condition: '条件', latestVersion: '最新版本', deactivated: '已停用', created: '创建', updated2: '更新',
    verifyTitle: '核验证照',
    verifyPrivacy: '证照标识与盐值只留在本页面：页面在本地计算承诺值，只把发证机构和承诺值发给节点。节点的回答在本页面内由编译为 WebAssembly 的核验程序依据创世文件校验。',
    licenceSecrets: '证照', licenceId: '证照标识', salt: '盐值（64 位十六进制）', region: '核验地区',
    p310000: '上海', p320000: '江苏', p330000: '浙江', p340000: '安徽',
    genesisFile: '创世文件（校验唯一信任的依据）',
    pinWarning: '从本节点获取的创世文件只和节点一样可信。请固定其哈希：将下方哈希与贵局公布的值比对，或载入您自己保存的文件。',
    genesisFromNode: '从本节点获取', genesisOwn: '使用我自己的文件', genesisUpload: '创世文件', genesisPaste: '或粘贴',
    genesisPin: '已固定的创世哈希（可选；不一致时停止校验）', genesisHash: '创世哈希',
    verifyButton: '询问节点并校验', verified: '已依据创世文件校验通过',
    notVerified: '校验未通过：该回答不可信', failedCheck: '未通过的检查',
    derived: '本页面计算的承诺值', asking: '正在询问节点…', provenAt: '证明所在状态高度',
    licenceValid: '证照有效', licenceNotValid: '证照无效', recognisedIn: '已获认可：', notRecognisedIn: '未获认可：',
    neverAnchored: '从未上链（已证明不存在）', pinMismatch: '创世哈希与固定值不一致：未做任何校验。',
    noGenesis: '请先载入创世文件。', answerRaw: '节点的回答', summary: '证明所示',
    resolveTitle: '解析 DID', versionId: '版本（可选）', resolve: '解析', didDocument: 'DID 文档',
    didMetadata: '文档元数据', resolutionMetadata: '解析元数据', proofChecked: '回答已依据创世文件校验',
    proofNotChecked: '回答未经校验', footer: '由本节点提供；不从其他地方加载任何内容。',
    error: '错误', notFound: '未找到',
    st_active: '有效（active）', st_suspended: '暂停（suspended）', st_revoked: '已撤销（revoked）',
    b_homeProvince: '本省签发', b_policy: '依据本地区的互认政策', b_noPolicy: '本地区对该类型和发证省份没有互认政策',
    b_policyWithdrawn: '互认政策已撤回', b_conditionNotMet: '互认政策的条件不满足', summaryNote: '（核验程序的英文原文）',
  },
};

let lang = 'en';
try {
  const saved = window.localStorage.getItem('yrd-console-lang');
  if (saved === 'zh' || saved === 'en') lang = saved;
} catch (_) { /* storage unavailable: English */ }

export function t(key) {
  return (LABELS[lang] && LABELS[lang][key]) || LABELS.en[key] || key;
}

export function currentLang() { return lang; }

export function applyLabels(root = document) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  const toggle = document.getElementById('lang-toggle');
  if (toggle) toggle.textContent = lang === 'zh' ? 'English' : '中文';
}

export function toggleLang() {
  lang = lang === 'zh' ? 'en' : 'zh';
  try { window.localStorage.setItem('yrd-console-lang', lang); } catch (_) { /* ignore */ }
  applyLabels();
}
