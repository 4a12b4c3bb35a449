import type { DisputeReason } from '../domain/disputes';
import type { Locale } from '../domain/locales';

/**
 * The customer's page in both languages. One object per language with the same keys (the type makes a
 * missing word a compile error); reasons and refusals are worded for a customer, not for staff.
 */
const zh = {
  title: '对账页面',
  greeting: '{name}，您好',
  intro:
    '这是 {company} 为 {customer} 准备的对账页面：未结发票与余额、截至今日的逾期利息、我们寄给您的函件，以及付款承诺与异议表单。此链接仅供您本人使用，请勿转发。',
  validUntil: '此链接有效期至 {date}。',
  statement: '未结发票',
  statementAsOf: '截至 {date}',
  noInvoices: '目前没有未结发票。谢谢！',
  invoice: '发票',
  contract: '合同',
  amount: '发票金额',
  balance: '未付余额',
  dueDate: '到期日',
  daysOverdue: '逾期天数',
  interest: '逾期利息',
  totalDue: '应付合计',
  total: '合计',
  letters: '我们寄给您的函件',
  noLetters: '暂无函件。',
  sentAt: '发送日期',
  subject: '主题',
  view: '查看',
  back: '返回对账页面',
  promiseTitle: '付款承诺',
  promiseIntro: '告诉我们您计划何时支付多少：在承诺日期之前我们不会再就该发票催款。',
  promisedDate: '承诺付款日期',
  promisedAmount: '承诺付款金额',
  promiseSubmit: '提交付款承诺',
  disputeTitle: '对发票提出异议',
  disputeIntro: '如果发票或交付有问题，请告诉我们原因：异议处理期间我们不会催款，负责的同事会与您联系。',
  reason: '异议原因',
  note: '说明',
  attachment: '附件（PDF 或图片，不超过 5 MB，可选）',
  disputeSubmit: '提交异议',
  chooseInvoice: '请选择发票',
  promiseDone: '谢谢！我们已记录您对发票 {invoice} 的付款承诺：{date} 支付 {amount}。确认邮件已发送至 {email}。',
  disputeDone: '谢谢！我们已记录您对发票 {invoice} 提出的异议。确认邮件已发送至 {email}，负责的同事会尽快与您联系。',
  refusedTitle: '很抱歉，未能提交',
  refusedHelp: '如有疑问，请直接回复我们的邮件。',
  linkRefusedTitle: '此链接无法打开',
  linkTampered: '此链接不完整或已被修改。请使用我们邮件中的完整链接。',
  linkExpired: '此链接已过期。我们下一封函件会附上新的链接；如需立即查看，请回复我们的邮件。',
  linkRevoked: '此链接已停用。如需查看对账信息，请回复我们的邮件，我们会为您提供新的链接。',
  tooManyTries: '尝试次数过多，请稍后再试。',
  language: 'English',
  notFound: '找不到该函件。',
  'refusal.promise_open': '该发票已有一项未到期的付款承诺。',
  'refusal.dispute_open': '该发票已有一项正在处理的异议。',
  'refusal.date_in_past': '承诺付款日期不能早于今天。',
  'refusal.invalid_amount': '承诺金额必须大于零且不超过未付余额。',
  'refusal.collection_closed': '该发票已结清或已关闭，无需再提交。',
  'refusal.invalid_reason': '请选择一个异议原因。',
  'refusal.invalid_invoice': '请选择一张您的未结发票。',
  'refusal.invalid_date': '请填写有效的日期。',
  'refusal.invalid_amount_format': '请填写有效的金额，例如 10000.00。',
  'refusal.missing_note': '请简要说明异议的情况。',
  'refusal.note_too_long': '说明最多 2000 字。',
  'refusal.attachment_type': '附件只能是 PDF、PNG、JPEG 或 WebP 文件。',
  'refusal.attachment_size': '附件不能超过 5 MB。',
  'refusal.form_expired': '表单已失效，请刷新页面后重试。',
  'refusal.other': '暂时无法处理您的提交，请稍后再试或回复我们的邮件。',
  'reason.quality': '质量问题',
  'reason.service': '服务问题',
  'reason.price': '价格异议',
  'reason.customer_leadership_unhappy': '我方管理层不满意',
  'reason.customer_finance_unavailable': '我方财务暂时无法付款',
  'reason.customer_process_blocked': '我方内部流程受阻',
  'reason.invoice_error': '发票有误',
  'reason.delivery_defect': '交付缺陷',
  'reason.payment_not_identifiable': '款项已付但无法识别',
  'reason.contract_clause': '合同条款争议',
};

export type WordKey = keyof typeof zh;

const en: Record<WordKey, string> = {
  title: 'Your statement',
  greeting: 'Hello {name}',
  intro:
    'This is the statement page {company} keeps for {customer}: open invoices and balances, late interest as of today, the letters we sent you, and forms to promise a payment or raise a dispute. This link is personal to you; please do not forward it.',
  validUntil: 'This link works until {date}.',
  statement: 'Open invoices',
  statementAsOf: 'as of {date}',
  noInvoices: 'No invoice is open. Thank you!',
  invoice: 'Invoice',
  contract: 'Contract',
  amount: 'Amount',
  balance: 'Balance',
  dueDate: 'Due date',
  daysOverdue: 'Days overdue',
  interest: 'Late interest',
  totalDue: 'Total due',
  total: 'Total',
  letters: 'Letters we sent you',
  noLetters: 'No letters yet.',
  sentAt: 'Sent',
  subject: 'Subject',
  view: 'View',
  back: 'Back to your statement',
  promiseTitle: 'Promise to pay',
  promiseIntro: 'Tell us when you plan to pay and how much: we send no reminder about that invoice until then.',
  promisedDate: 'Promised date',
  promisedAmount: 'Promised amount',
  promiseSubmit: 'Send the promise',
  disputeTitle: 'Dispute an invoice',
  disputeIntro:
    'If something is wrong with an invoice or the delivery, tell us why: we send no reminder while it is open, and the colleague responsible will contact you.',
  reason: 'Reason',
  note: 'Details',
  attachment: 'Attachment (PDF or image, at most 5 MB, optional)',
  disputeSubmit: 'Send the dispute',
  chooseInvoice: 'Choose an invoice',
  promiseDone:
    'Thank you! We recorded your promise to pay {amount} on {date} for invoice {invoice}. A confirmation was sent to {email}.',
  disputeDone:
    'Thank you! We recorded your dispute of invoice {invoice}. A confirmation was sent to {email}; the colleague responsible will contact you shortly.',
  refusedTitle: 'Sorry, we could not record this',
  refusedHelp: 'If anything is unclear, simply reply to one of our mails.',
  linkRefusedTitle: 'This link cannot be opened',
  linkTampered: 'This link is incomplete or was changed. Please use the whole link from our mail.',
  linkExpired:
    'This link has expired. Our next letter will carry a new one; if you need it now, please reply to one of our mails.',
  linkRevoked: 'This link is no longer active. Please reply to one of our mails and we will send you a new one.',
  tooManyTries: 'Too many attempts; please try again later.',
  language: '中文',
  notFound: 'That letter cannot be found.',
  'refusal.promise_open': 'This invoice already has a promise to pay that is still open.',
  'refusal.dispute_open': 'This invoice already has a dispute that is being handled.',
  'refusal.date_in_past': 'The promised date cannot be before today.',
  'refusal.invalid_amount': 'The promised amount must be more than zero and at most the balance.',
  'refusal.collection_closed': 'This invoice is settled or closed: nothing more is needed.',
  'refusal.invalid_reason': 'Please choose a reason.',
  'refusal.invalid_invoice': 'Please choose one of your open invoices.',
  'refusal.invalid_date': 'Please enter a valid date.',
  'refusal.invalid_amount_format': 'Please enter a valid amount, such as 10000.00.',
  'refusal.missing_note': 'Please say briefly what the problem is.',
  'refusal.note_too_long': 'The details can be at most 2000 characters.',
  'refusal.attachment_type': 'The attachment must be a PDF, PNG, JPEG or WebP file.',
  'refusal.attachment_size': 'The attachment can be at most 5 MB.',
  'refusal.form_expired': 'This form has expired; please reload the page and try again.',
  'refusal.other': 'We could not process this right now; please try again later or reply to one of our mails.',
  'reason.quality': 'Quality',
  'reason.service': 'Service',
  'reason.price': 'Price',
  'reason.customer_leadership_unhappy': 'Our management is not satisfied',
  'reason.customer_finance_unavailable': 'Our finance cannot pay at the moment',
  'reason.customer_process_blocked': 'Our internal process is blocked',
  'reason.invoice_error': 'The invoice is wrong',
  'reason.delivery_defect': 'Delivery defect',
  'reason.payment_not_identifiable': 'We paid, but the payment was not identified',
  'reason.contract_clause': 'A contract clause',
};

const WORDS: Record<Locale, Record<WordKey, string>> = { 'zh-CN': zh, en };

export function word(locale: Locale, key: WordKey, values: Record<string, string | number> = {}): string {
  return WORDS[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** Every key of one language, for the page templates ({{w.title}}). */
export function words(locale: Locale): Record<WordKey, string> {
  return WORDS[locale];
}

export function reasonWord(locale: Locale, reason: DisputeReason): string {
  return word(locale, `reason.${reason}` as WordKey);
}

/** A refusal code worded for the customer; a code with no wording here is the polite generic one. */
export function refusalWord(locale: Locale, code: string | undefined): string {
  const key = `refusal.${code}`;
  return key in zh ? word(locale, key as WordKey) : word(locale, 'refusal.other');
}
