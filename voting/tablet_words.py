"""The tablet's words that a congress with a second language translates: what a deputy reads and
taps to vote (voting.vocabulary). Each is the Chinese exactly as the tablet shows it; {name} is a
figure or name the software fills in, in both languages."""

from voting.help_requests import ALREADY, ASKED

COMMON = (
    ASKED,
    ALREADY,
    "代表票决",
    "大字",
    "请求协助",
    "已请求协助",
    "已通知会场工作人员，请稍候，工作人员会到您的座位旁。",
    "退出",
    "{name} 代表，您好",
    "签到",
    "您已签到",
    "票决",
    "进入投票",
    "已投票",
    "投票进行中，请先签到",
    "投票已结束",
    "返回首页",
    "选票",
    "您的选择只留在这台平板上，确认投票时加密后投入票箱；计票时由监票人当场开启，任何人都不能看到您投了什么。",
    "清除此项选择",
    "下一步：核对选票",
    "请核对您的选票",
    "未选择（未表态）",
    "确认无误后按“确认投票”。投出后不能更改。",
    "有 {count} 个项目您没有选择，计为未表态。如需表态，请按“返回修改”。",
    "返回修改",
    "确认投票",
    "正在提交……",
    "您的选票已投入票箱。",
    "您的选择是秘密的：系统只记录您已投票，不记录您投给了谁。",
    "您在本次票决中已经投过票，不能再次投票。",
    "现在不能投票",
    "本次票决现在没有在投票，选票未被接收。",
    "您尚未签到，请先签到再投票。",
    "您已领取纸质选票，请在纸质选票上投票；平板不能再投票。",
    "弃权",
    "{title}（另行票决）",
)
APPROVAL = (
    "赞成",
    "不赞成",
    "请对每个候选项目选择“赞成”“不赞成”或“弃权”。应选 {seats} 个，赞成最多 {cap} 个；不选视为未表态。",
    "已赞成 {count} 个 / 最多 {cap} 个",
    "已达上限",
    "赞成不能超过 {cap} 个，您选了 {count} 个。请改选后再核对。",
)
SATISFACTION = (
    "满意",
    "基本满意",
    "不满意",
    "请对每个项目选择“满意”“基本满意”“不满意”或“弃权”。",
)
