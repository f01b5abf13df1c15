// The message catalog: every string a person reads on the pages, keyed by
// stable ids, zh-CN first and English second. The API speaks machine codes
// (event kinds ev.*, decision reasons reason.*, door modes mode.*, error
// codes err.*); the pages turn them into whole sentences with named
// placeholders ({door}, {person}…) that a translator may reorder.
// The object between the catalog markers is plain JSON: a Go test
// (api/i18n_test.go) parses it and checks that every key has both languages
// and that every code in the Go code has an entry.
const MESSAGES = /* catalog */
{
  "page.console.title": {"zh-CN": "门卫 — 值班台", "en": "menwei — guard console"},
  "page.console.heading": {"zh-CN": "门卫 — 值班台", "en": "menwei — guard console"},
  "page.phone.title": {"zh-CN": "门卫 — 我的门", "en": "menwei — my doors"},
  "page.phone.heading": {"zh-CN": "门卫 — 我的门", "en": "menwei — my doors"},
  "page.index.title": {"zh-CN": "门卫", "en": "menwei"},
  "page.index.heading": {"zh-CN": "门卫", "en": "menwei"},
  "page.index.choose": {"zh-CN": "请选择", "en": "Choose"},
  "page.index.console": {"zh-CN": "门卫值班台", "en": "Guard console"},
  "page.index.phone": {"zh-CN": "住户手机页面", "en": "Resident phone page"},
  "lang.label": {"zh-CN": "语言", "en": "Language"},
  "lang.name.zh-CN": {"zh-CN": "中文", "en": "中文"},
  "lang.name.en": {"zh-CN": "English", "en": "English"},
  "who.session": {"zh-CN": "{account}（{role}）", "en": "{account} ({role})"},
  "role.admin": {"zh-CN": "管理员", "en": "admin"},
  "role.guard": {"zh-CN": "门卫", "en": "guard"},
  "role.device": {"zh-CN": "住户手机", "en": "resident's phone"},
  "role.unknown": {"zh-CN": "其他角色", "en": "another role"},
  "login.heading": {"zh-CN": "登录", "en": "Sign in"},
  "login.account": {"zh-CN": "账号", "en": "Account"},
  "login.password": {"zh-CN": "密码", "en": "Password"},
  "login.submit": {"zh-CN": "登录", "en": "Sign in"},
  "tabs.label": {"zh-CN": "功能", "en": "Sections"},
  "tabs.gate": {"zh-CN": "门岗", "en": "Gate"},
  "doors.heading": {"zh-CN": "门", "en": "Doors"},
  "doors.emergency_unlock": {"zh-CN": "全部紧急开门", "en": "Emergency unlock all"},
  "doors.lockdown": {"zh-CN": "封锁", "en": "Lockdown"},
  "doors.normal": {"zh-CN": "恢复正常", "en": "Back to normal"},
  "doors.open": {"zh-CN": "开门", "en": "Open"},
  "doors.none": {"zh-CN": "没有配置门", "en": "No doors are configured"},
  "door.state.open": {"zh-CN": "门开着", "en": "open"},
  "door.state.closed": {"zh-CN": "门关着", "en": "closed"},
  "door.state.lock_offline": {"zh-CN": "门锁离线", "en": "lock offline"},
  "door.opened": {"zh-CN": "{door}已打开", "en": "{door} opened"},
  "door.asked": {"zh-CN": "{door}：已请求开门，门锁尚未确认，门可能没有打开", "en": "{door}: asked to open, the lock has not confirmed yet"},
  "door.failed": {"zh-CN": "{door}：{error}", "en": "{door}: {error}"},
  "door.denied": {"zh-CN": "{door}：不允许开门，{reason}", "en": "{door}: not allowed to open: {reason}"},
  "mode.normal": {"zh-CN": "正常", "en": "normal"},
  "mode.emergency_unlock": {"zh-CN": "紧急开门", "en": "emergency unlock"},
  "mode.lockdown": {"zh-CN": "封锁", "en": "lockdown"},
  "mode.unknown": {"zh-CN": "其他模式", "en": "another mode"},
  "modeset.normal": {"zh-CN": "所有门已恢复正常模式", "en": "All doors are back to normal"},
  "modeset.emergency_unlock": {"zh-CN": "所有门已设为紧急开门", "en": "All doors are set to emergency unlock"},
  "modeset.lockdown": {"zh-CN": "所有门已封锁", "en": "All doors are locked down"},
  "alarm.held_open": {"zh-CN": "长时间未关", "en": "held open"},
  "alarm.forced_open": {"zh-CN": "被强行打开", "en": "forced open"},
  "alarm.unsecured": {"zh-CN": "门锁离线，门未锁住", "en": "lock offline, door not secured"},
  "alarm.unknown": {"zh-CN": "其他报警", "en": "another alarm"},
  "visitor.heading": {"zh-CN": "登记访客", "en": "Register a visitor"},
  "visitor.name": {"zh-CN": "姓名", "en": "Name"},
  "visitor.host": {"zh-CN": "拜访住户（住户编号）", "en": "Visiting (resident id)"},
  "visitor.hours": {"zh-CN": "有效时长（小时）", "en": "Valid for (hours)"},
  "visitor.uses": {"zh-CN": "可进入次数（0 = 不限）", "en": "Entries (0 = unlimited)"},
  "visitor.photo": {"zh-CN": "照片（选择文件，或用手机拍照）", "en": "Photo (a file, or the camera on a phone)"},
  "visitor.submit": {"zh-CN": "登记", "en": "Register"},
  "visitor.qr_alt": {"zh-CN": "访客通行证二维码", "en": "the visitor's pass as a QR code"},
  "visitor.registered": {"zh-CN": "已登记访客{name}（编号 {id}）", "en": "registered {name} ({id})"},
  "visitor.pass_code": {"zh-CN": "通行码：{code}，输入后按 #", "en": "Pass code: {code} then #"},
  "events.heading": {"zh-CN": "实时事件", "en": "Live events"},
  "who.unknown": {"zh-CN": "未知人员", "en": "someone unknown"},
  "place.unknown": {"zh-CN": "未知位置", "en": "an unknown place"},
  "ev.access.granted": {"zh-CN": "{door}：{person}通行", "en": "{door}: {person} let in"},
  "ev.access.denied": {"zh-CN": "{door}：{person}被拒绝，{reason}", "en": "{door}: {person} refused: {reason}"},
  "ev.alarm.duress": {"zh-CN": "{door}：{person}发出胁迫报警", "en": "{door}: duress alarm from {person}"},
  "ev.pd.online": {"zh-CN": "终端{pd}已上线", "en": "Terminal {pd} is online"},
  "ev.pd.offline": {"zh-CN": "终端{pd}离线", "en": "Terminal {pd} went offline"},
  "ev.pd.secure_channel": {"zh-CN": "终端{pd}已建立加密通道", "en": "Terminal {pd}: secure channel established"},
  "ev.pd.tamper": {"zh-CN": "终端{pd}被拆动（防拆报警）", "en": "Terminal {pd} was tampered with (tamper alarm)"},
  "ev.pd.tamper_cleared": {"zh-CN": "终端{pd}防拆报警已解除", "en": "Terminal {pd}: tamper alarm cleared"},
  "ev.pd.power": {"zh-CN": "终端{pd}电源故障", "en": "Terminal {pd}: power failure"},
  "ev.pd.power_restored": {"zh-CN": "终端{pd}电源已恢复", "en": "Terminal {pd}: power restored"},
  "ev.door.opened": {"zh-CN": "{door}被打开", "en": "{door} was opened"},
  "ev.door.closed": {"zh-CN": "{door}已关上", "en": "{door} closed"},
  "ev.door.held_open": {"zh-CN": "{door}开着太久未关（报警）", "en": "{door} held open too long (alarm)"},
  "ev.door.held_open_cleared": {"zh-CN": "{door}长时间未关的报警已解除", "en": "{door}: held-open alarm cleared"},
  "ev.door.forced_open": {"zh-CN": "{door}被强行打开（报警）", "en": "{door} was forced open (alarm)"},
  "ev.door.rex": {"zh-CN": "{door}的出门按钮被按下", "en": "{door}: exit button pressed"},
  "ev.door.unlocked": {"zh-CN": "{door}门锁已释放", "en": "{door}: lock released"},
  "ev.door.relocked": {"zh-CN": "{door}已重新上锁", "en": "{door} locked again"},
  "ev.door.mode": {"zh-CN": "{door}的模式改为{mode}", "en": "{door}: mode set to {mode}"},
  "ev.door.lock_offline": {"zh-CN": "{door}的门锁终端离线", "en": "{door}: the lock's terminal is offline"},
  "ev.door.lock_online": {"zh-CN": "{door}的门锁终端已恢复在线", "en": "{door}: the lock's terminal is back online"},
  "ev.door.unsecured": {"zh-CN": "{door}门锁离线，门未锁住（报警）", "en": "{door}: lock offline, the door is not secured (alarm)"},
  "ev.door.lock_failed": {"zh-CN": "{door}没有打开：{reason}", "en": "{door} did not open: {reason}"},
  "ev.emergency.fire": {"zh-CN": "收到火警信号", "en": "Fire alarm signal received"},
  "ev.system.start": {"zh-CN": "门禁控制器已启动", "en": "The controller started"},
  "ev.system.stop": {"zh-CN": "门禁控制器已停止", "en": "The controller stopped"},
  "ev.alert.denial_burst": {"zh-CN": "{door}：短时间内多次被拒绝（风险提示）", "en": "{door}: many refusals in a short time (warning)"},
  "ev.alert.unknown_repeated": {"zh-CN": "{door}：未登记的卡或人脸反复出现（风险提示）", "en": "{door}: an unknown card or face keeps being presented (warning)"},
  "ev.alert.wrong_pin": {"zh-CN": "{door}：多次输错密码（风险提示）", "en": "{door}: repeated wrong PINs (warning)"},
  "ev.alert.door_forced": {"zh-CN": "{door}被强行打开（风险提示）", "en": "{door} was forced open (warning)"},
  "ev.alert.door_held_open": {"zh-CN": "{door}长时间未关（风险提示）", "en": "{door} is held open (warning)"},
  "ev.alert.tamper": {"zh-CN": "终端{pd}防拆报警（风险提示）", "en": "Tamper alarm at terminal {pd} (warning)"},
  "ev.alert.terminal_offline": {"zh-CN": "终端{pd}离线（风险提示）", "en": "Terminal {pd} is offline (warning)"},
  "ev.alert.duress": {"zh-CN": "{door}：胁迫报警（风险提示）", "en": "{door}: duress alarm (warning)"},
  "ev.visitor.registered": {"zh-CN": "已登记访客{person}", "en": "Visitor {person} registered"},
  "ev.visitor.invited": {"zh-CN": "住户邀请了访客{person}", "en": "A resident invited visitor {person}"},
  "ev.auth.login": {"zh-CN": "有账号登录了值班台", "en": "An account signed in"},
  "ev.auth.login_failed": {"zh-CN": "有一次登录失败", "en": "A sign-in failed"},
  "ev.identity.saved": {"zh-CN": "已保存{person}的资料", "en": "{person}'s record saved"},
  "ev.identity.deleted": {"zh-CN": "已删除{person}", "en": "{person} removed"},
  "ev.credential.added": {"zh-CN": "已为{person}添加凭证", "en": "A credential added for {person}"},
  "ev.credential.removed": {"zh-CN": "已删除{person}的凭证", "en": "A credential of {person} removed"},
  "ev.device.pairing_issued": {"zh-CN": "已为{person}生成手机配对码", "en": "A phone pairing code issued for {person}"},
  "ev.device.paired": {"zh-CN": "{person}的手机已配对", "en": "{person}'s phone paired"},
  "ev.device.pairing_failed": {"zh-CN": "一次手机配对失败", "en": "A phone pairing failed"},
  "ev.device.revoked": {"zh-CN": "已撤销{person}的手机", "en": "{person}'s phone revoked"},
  "ev.door.mode_requested": {"zh-CN": "已请求将{door}的模式改为{mode}", "en": "{door}: asked to set the mode to {mode}"},
  "ev.enrol.finger": {"zh-CN": "已在{pd}为{person}录入指纹", "en": "A fingerprint of {person} enrolled at {pd}"},
  "ev.identity.removed": {"zh-CN": "已从指纹模块删除{person}", "en": "{person} removed from the fingerprint modules"},
  "ev.face.capture_dropped": {"zh-CN": "终端{pd}的人脸照片传输不完整，已丢弃", "en": "Terminal {pd}: an incomplete face capture was dropped"},
  "evx.guard_open": {"zh-CN": "{door}：值班台{account}下令开门", "en": "{door}: {account} asked from the console to open it"},
  "ev.unknown": {"zh-CN": "其他事件", "en": "Another event"},
  "reason.granted": {"zh-CN": "允许通行", "en": "allowed"},
  "reason.unknown_card": {"zh-CN": "卡未登记", "en": "the card is not registered"},
  "reason.bad_read": {"zh-CN": "读卡不完整，请重新刷卡", "en": "the card was not read completely"},
  "reason.not_allowed_at_door": {"zh-CN": "无权通过此门", "en": "not allowed at this door"},
  "reason.identity_disabled": {"zh-CN": "此人已被停用", "en": "this person is disabled"},
  "reason.wrong_pin": {"zh-CN": "密码错误", "en": "wrong PIN"},
  "reason.pin_without_card": {"zh-CN": "输入了密码但没有刷卡", "en": "a PIN without a card"},
  "reason.schedule_missing": {"zh-CN": "通行时间表不存在", "en": "the schedule is missing"},
  "reason.lock_offline": {"zh-CN": "门锁终端离线，门没有打开", "en": "the lock's terminal is offline, the door did not open"},
  "reason.lock_refused": {"zh-CN": "门锁终端拒绝了命令，门没有打开", "en": "the lock's terminal refused the command, the door did not open"},
  "reason.lock_no_reply": {"zh-CN": "门锁终端没有应答，门没有打开", "en": "the lock's terminal did not answer, the door did not open"},
  "reason.internal_error": {"zh-CN": "系统内部错误", "en": "an internal error"},
  "reason.not_recorded": {"zh-CN": "事件无法记录，为安全起见拒绝", "en": "the event could not be recorded, so it was refused"},
  "reason.factor_timeout": {"zh-CN": "第二种验证方式超时", "en": "the second factor came too late"},
  "reason.awaiting_factor": {"zh-CN": "等待第二种验证方式", "en": "waiting for a second factor"},
  "reason.factor_mismatch": {"zh-CN": "两种验证方式不属于同一人", "en": "the second factor belongs to someone else"},
  "reason.factor_not_accepted": {"zh-CN": "此门不接受这种验证方式", "en": "this door does not accept that factor"},
  "reason.blacklisted": {"zh-CN": "卡已挂失（黑名单）", "en": "the card is blacklisted"},
  "reason.outside_schedule": {"zh-CN": "不在允许通行的时间内", "en": "outside the allowed hours"},
  "reason.pass_not_yet_valid": {"zh-CN": "访客通行证尚未生效", "en": "the visitor's pass is not valid yet"},
  "reason.pass_expired": {"zh-CN": "访客通行证已过期", "en": "the visitor's pass has expired"},
  "reason.pass_used_up": {"zh-CN": "访客通行证的次数已用完", "en": "the visitor's pass is used up"},
  "reason.pass_wrong_door": {"zh-CN": "访客通行证不适用于此门", "en": "the visitor's pass is not for this door"},
  "reason.visitor_without_pass": {"zh-CN": "访客没有通行证", "en": "a visitor without a pass"},
  "reason.antipassback": {"zh-CN": "进出记录不符（反潜回）", "en": "anti-passback: entry and exit do not match"},
  "reason.lockdown": {"zh-CN": "门已封锁", "en": "the doors are locked down"},
  "reason.emergency_unlock": {"zh-CN": "紧急开门中", "en": "emergency unlock"},
  "reason.unknown_face": {"zh-CN": "人脸未登记", "en": "the face is not registered"},
  "reason.liveness_too_low": {"zh-CN": "活体检测未通过", "en": "the liveness check failed"},
  "reason.no_face_in_capture": {"zh-CN": "画面中没有人脸", "en": "no face in the capture"},
  "reason.several_faces": {"zh-CN": "画面中有多张人脸", "en": "several faces in the capture"},
  "reason.unreadable_image": {"zh-CN": "图像无法读取", "en": "the image could not be read"},
  "reason.face_engine_busy": {"zh-CN": "人脸识别繁忙", "en": "the face engine is busy"},
  "reason.face_matching_unavailable": {"zh-CN": "人脸识别不可用", "en": "face matching is unavailable"},
  "reason.opened_by_guard": {"zh-CN": "值班人员开门", "en": "opened by a guard"},
  "reason.unknown": {"zh-CN": "其他原因", "en": "another reason"},
  "err.bad_code": {"zh-CN": "配对码不对或已过期，请向门卫处重新索取", "en": "The pairing code is wrong or has expired: ask the gatehouse for a new one"},
  "err.bad_login": {"zh-CN": "账号或密码不对", "en": "The account or the password is wrong"},
  "err.bad_query": {"zh-CN": "查询条件有误", "en": "The query is not valid"},
  "err.bad_request": {"zh-CN": "填写的内容有误，请检查后重试", "en": "Something entered is not valid: check and try again"},
  "err.busy": {"zh-CN": "系统正忙，请稍后再试", "en": "The system is busy: try again shortly"},
  "err.conflict": {"zh-CN": "与现有记录冲突", "en": "This conflicts with an existing record"},
  "err.csrf": {"zh-CN": "页面已过期，请刷新后重试", "en": "The page has expired: reload it and try again"},
  "err.emergency": {"zh-CN": "紧急开门期间不能封锁", "en": "Lockdown is refused during an emergency unlock"},
  "err.enrolment_failed": {"zh-CN": "录入失败", "en": "Enrolment failed"},
  "err.forbidden": {"zh-CN": "您的账号无权执行此操作", "en": "Your account may not do this"},
  "err.locked": {"zh-CN": "登录失败次数过多，已暂时锁定，请稍后再试", "en": "Too many failed sign-ins: locked for a while, try again later"},
  "err.no_face": {"zh-CN": "照片中没有找到人脸，请换一张正面照片", "en": "No face found in the photo: use a photo of the face from the front"},
  "err.not_an_image": {"zh-CN": "文件不是 JPEG 或 PNG 图片", "en": "The file is not a JPEG or PNG image"},
  "err.not_found": {"zh-CN": "找不到该记录（例如住户编号不存在）", "en": "Not found (for example, no resident with that id)"},
  "err.rate_limited": {"zh-CN": "操作太频繁，请稍后再试", "en": "Too many attempts: wait a minute and try again"},
  "err.several_faces": {"zh-CN": "照片中有多张人脸，请只拍一个人", "en": "Several faces in the photo: one person only"},
  "err.too_large": {"zh-CN": "文件或内容太大", "en": "The file or the request is too large"},
  "err.unauthenticated": {"zh-CN": "请先登录", "en": "Sign in first"},
  "err.unavailable": {"zh-CN": "此功能当前不可用", "en": "This is not available right now"},
  "err.internal": {"zh-CN": "系统内部错误，请联系管理员", "en": "An internal error: tell the administrator"},
  "err.lock_offline": {"zh-CN": "门锁终端离线，门没有打开", "en": "The lock's terminal is offline: the door did not open"},
  "err.lock_refused": {"zh-CN": "门锁终端拒绝了命令，门没有打开", "en": "The lock's terminal refused the command: the door did not open"},
  "err.lock_no_reply": {"zh-CN": "门锁终端没有应答，门没有打开", "en": "The lock's terminal did not answer: the door did not open"},
  "err.network": {"zh-CN": "无法连接门禁控制器", "en": "The controller cannot be reached"},
  "err.unknown": {"zh-CN": "操作失败（{status}）", "en": "The request failed ({status})"},
  "pair.heading": {"zh-CN": "为住户手机配对", "en": "Pair a resident's phone"},
  "pair.resident_placeholder": {"zh-CN": "住户编号", "en": "resident id"},
  "pair.issue": {"zh-CN": "生成配对码", "en": "Issue code"},
  "pair.issued": {"zh-CN": "配对码 {code} ：请住户在 10 分钟内用手机打开住户页面并输入", "en": "code {code} — open the resident page on the phone within 10 minutes"},
  "phone.pair_heading": {"zh-CN": "为这部手机配对", "en": "Pair this phone"},
  "phone.pair_hint": {"zh-CN": "请向门卫处索取配对码。", "en": "Ask the gatehouse for a pairing code."},
  "phone.code": {"zh-CN": "配对码", "en": "Pairing code"},
  "phone.name": {"zh-CN": "给这部手机起个名字", "en": "Name this phone"},
  "phone.name_default": {"zh-CN": "我的手机", "en": "my phone"},
  "phone.pair": {"zh-CN": "配对", "en": "Pair"},
  "phone.open_heading": {"zh-CN": "开门", "en": "Open a door"},
  "phone.open_door": {"zh-CN": "打开{door}", "en": "Open {door}"},
  "phone.opened": {"zh-CN": "{door}：已打开", "en": "{door}: opened"},
  "phone.asked": {"zh-CN": "{door}：已请求开门，尚未确认，门可能没有打开", "en": "{door}: asked to open, not confirmed yet"},
  "phone.invite_heading": {"zh-CN": "邀请访客", "en": "Invite a guest"},
  "phone.guest_name": {"zh-CN": "访客姓名", "en": "Guest's name"},
  "phone.guest_hours": {"zh-CN": "有效时长（小时）", "en": "Valid for (hours)"},
  "phone.invite": {"zh-CN": "邀请", "en": "Invite"},
  "phone.invited": {"zh-CN": "请把下面的访客码发给{name}：有效期至{until}", "en": "send this to {name}: valid until {until}"},
  "phone.guest_code": {"zh-CN": "访客码：{code}，输入后按 #", "en": "Code: {code} then #"},
  "phone.guest_qr_alt": {"zh-CN": "访客通行证二维码", "en": "the guest's pass as a QR code"},
  "phone.forget": {"zh-CN": "解除这部手机的配对", "en": "Unpair this phone"},
  "msg.missing": {"zh-CN": "（缺少文字）", "en": "(text missing)"},
  "tabs.history": {"zh-CN": "记录", "en": "History"},
  "hist.heading": {"zh-CN": "通行与事件记录", "en": "Event history"},
  "hist.from": {"zh-CN": "开始时间", "en": "From"},
  "hist.to": {"zh-CN": "结束时间", "en": "Until"},
  "hist.door": {"zh-CN": "门", "en": "Door"},
  "hist.door_any": {"zh-CN": "全部门", "en": "Every door"},
  "hist.person": {"zh-CN": "人员（姓名或编号）", "en": "Person (name or id)"},
  "hist.result": {"zh-CN": "结果", "en": "Result"},
  "hist.result_any": {"zh-CN": "全部结果", "en": "Any result"},
  "hist.result_granted": {"zh-CN": "通行", "en": "Let in"},
  "hist.result_denied": {"zh-CN": "被拒绝", "en": "Refused"},
  "hist.kind": {"zh-CN": "类型", "en": "Kind"},
  "hist.kind_any": {"zh-CN": "全部类型", "en": "Every kind"},
  "hist.kind_access": {"zh-CN": "通行记录", "en": "Access decisions"},
  "hist.kind_door": {"zh-CN": "门的状态", "en": "Door events"},
  "hist.kind_alarm": {"zh-CN": "报警与风险提示", "en": "Alarms and warnings"},
  "hist.kind_terminal": {"zh-CN": "终端状态", "en": "Terminal events"},
  "hist.kind_admin": {"zh-CN": "管理操作", "en": "Administration"},
  "hist.search": {"zh-CN": "查询", "en": "Search"},
  "hist.reset": {"zh-CN": "清空条件", "en": "Clear the filters"},
  "hist.newer": {"zh-CN": "上一页（较新）", "en": "Newer"},
  "hist.older": {"zh-CN": "下一页（较早）", "en": "Older"},
  "hist.export": {"zh-CN": "导出为 CSV 表格", "en": "Export as CSV"},
  "hist.none": {"zh-CN": "没有符合条件的记录", "en": "No event matches these filters"},
  "hist.page": {"zh-CN": "第{page}页，本页{count}条", "en": "Page {page}: {count} events"},
  "hist.page_more": {"zh-CN": "第{page}页，本页{count}条；本页已查到查找上限，请翻到下一页继续查找", "en": "Page {page}: {count} events; this page searched as far as one page may, the next page searches on"},
  "hist.end": {"zh-CN": "已到最早的记录", "en": "No older events"},
  "hist.crop_alt": {"zh-CN": "被拒绝者的人脸照片", "en": "The refused person's face"},
  "hist.bad_range": {"zh-CN": "结束时间必须晚于开始时间", "en": "The end must be after the start"},
  "hist.failed": {"zh-CN": "查询失败：{error}", "en": "The search failed: {error}"},
  "alarmp.heading": {"zh-CN": "未处理的报警（{count}条）", "en": "Open alarms ({count})"},
  "alarmp.more": {"zh-CN": "另有{count}条较早的报警未列出", "en": "{count} older open alarms are not listed"},
  "alarmp.cleared": {"zh-CN": "已于{time}自行恢复，仍需确认", "en": "cleared by itself at {time}; still to acknowledge"},
  "alarmp.note_label": {"zh-CN": "处理说明", "en": "What you found or did"},
  "alarmp.note_placeholder": {"zh-CN": "例如：已到现场查看，门已关好", "en": "for example: went to look, the door is shut"},
  "alarmp.ack": {"zh-CN": "确认报警", "en": "Acknowledge"},
  "alarmp.acked": {"zh-CN": "已确认报警", "en": "Alarm acknowledged"},
  "alarmp.failed": {"zh-CN": "确认失败：{error}", "en": "Not acknowledged: {error}"},
  "alarmp.load_failed": {"zh-CN": "无法读取报警：{error}", "en": "The alarms cannot be read: {error}"},
  "alarmp.note_required": {"zh-CN": "请先填写处理说明", "en": "Write what you found or did first"},
  "ev.alarm.acknowledged": {"zh-CN": "{account}确认了第{ref}号报警：{note}", "en": "{account} acknowledged alarm {ref}: {note}"},
  "err.note_required": {"zh-CN": "请填写处理说明", "en": "Write what you found or did"},
  "err.not_alarm": {"zh-CN": "这条记录不是报警", "en": "This event is not an alarm"},
  "err.already_acknowledged": {"zh-CN": "这条报警已经有人确认过了", "en": "This alarm has already been acknowledged"},
  "err.not_ready": {"zh-CN": "系统正在启动，请稍后再试", "en": "The controller is starting: try again shortly"},
  "doorst.normal": {"zh-CN": "正常", "en": "normal"},
  "doorst.open": {"zh-CN": "门开着", "en": "open"},
  "doorst.held": {"zh-CN": "长时间未关", "en": "held open"},
  "doorst.forced": {"zh-CN": "被强行打开", "en": "forced open"},
  "doorst.emergency": {"zh-CN": "紧急开门中", "en": "emergency unlock"},
  "doorst.lockdown": {"zh-CN": "已封锁", "en": "locked down"},
  "doorst.lock_offline": {"zh-CN": "门锁离线，无法开门", "en": "lock offline: cannot open"},
  "confirm.emergency_unlock.title": {"zh-CN": "确认全部紧急开门？", "en": "Unlock every door for an emergency?"},
  "confirm.emergency_unlock.text": {"zh-CN": "所有门都会一直开着，任何人都能进出，直到有人点“恢复正常”。", "en": "Every door stays open to anyone until someone presses “Back to normal”."},
  "confirm.emergency_unlock.yes": {"zh-CN": "确认紧急开门", "en": "Unlock every door"},
  "confirm.lockdown.title": {"zh-CN": "确认封锁所有门？", "en": "Lock every door down?"},
  "confirm.lockdown.text": {"zh-CN": "封锁后刷卡、刷脸、密码和手机都不能开门，直到有人点“恢复正常”。", "en": "No card, face, PIN or phone opens a door until someone presses “Back to normal”."},
  "confirm.lockdown.yes": {"zh-CN": "确认封锁", "en": "Lock every door down"},
  "confirm.cancel": {"zh-CN": "取消", "en": "Cancel"},
  "err.consent_required": {"zh-CN": "需要本人同意：请先让本人阅读并同意使用其人脸或指纹的说明", "en": "Consent is needed: let the person read and agree to the use of their face or fingerprint first"},
  "err.bad_consent_text": {"zh-CN": "同意书版本不对，请刷新页面后重试", "en": "The consent text's version is not known; reload the page and try again"},
  "ev.consent.given": {"zh-CN": "{person}同意使用生物特征", "en": "{person} consented to a biometric"},
  "ev.consent.withdrawn": {"zh-CN": "{person}撤回同意，生物特征已删除", "en": "{person} withdrew consent; the biometric was deleted"},
  "consent.face-v1": {"zh-CN": "本人同意：门禁系统保存本人的人脸特征，仅用于本小区门禁的身份识别；访客的人脸在通行证到期后删除；本人可随时撤回同意，撤回后人脸立即删除，并可改用门卡、密码、手机或由门卫开门。", "en": "I agree that the access system keeps my face's features, only to recognise me at this estate's doors; a visitor's face is deleted when the pass ends; I may withdraw my consent at any time, my face is then deleted at once, and I can use a card, a PIN, my phone or the guard instead."},
  "consent.finger-v1": {"zh-CN": "本人同意：门禁系统保存本人的指纹特征，仅用于本小区门禁的身份识别；本人可随时撤回同意，撤回后指纹立即从系统和指纹模块中删除，并可改用门卡、密码、手机或由门卫开门。", "en": "I agree that the access system keeps my fingerprint's features, only to recognise me at this estate's doors; I may withdraw my consent at any time, my fingerprint is then deleted at once from the system and the fingerprint modules, and I can use a card, a PIN, my phone or the guard instead."},
  "visitor.consent": {"zh-CN": "访客已阅读并同意：", "en": "The visitor has read and agrees:"},
  "ev.crop.viewed": {"zh-CN": "查看了人脸抓拍", "en": "A face crop was viewed"},
  "ev.events.exported": {"zh-CN": "导出了通行记录", "en": "Events were exported"},
  "ev.person.exported": {"zh-CN": "导出了{person}的个人信息", "en": "{person}'s personal data was exported"},
  "err.confirm_mismatch": {"zh-CN": "确认内容不对：请再输入一次这位住户的编号", "en": "The confirmation does not match: type the person's id again"},
  "ev.person.erased": {"zh-CN": "一位住户的个人信息已删除，记录已匿名化", "en": "A person's data was erased and their events pseudonymised"},
  "tabs.visitors": {"zh-CN": "访客", "en": "Visitors"},
  "tabs.accounts": {"zh-CN": "账号", "en": "Accounts"},
  "acct.expires": {"zh-CN": "登录有效至{time}", "en": "Signed in until {time}"},
  "acct.sign_out": {"zh-CN": "退出登录", "en": "Sign out"},
  "acct.signed_out": {"zh-CN": "已退出登录", "en": "You are signed out"},
  "acct.ended": {"zh-CN": "登录已失效（可能已过期、密码已被修改或账号已被停用），请重新登录", "en": "You are no longer signed in (the session expired, the password was changed or the account was disabled): sign in again"},
  "acct.own_heading": {"zh-CN": "修改我的密码", "en": "Change my password"},
  "acct.old": {"zh-CN": "当前密码", "en": "Current password"},
  "acct.new": {"zh-CN": "新密码（至少10个字符）", "en": "New password (at least 10 characters)"},
  "acct.new2": {"zh-CN": "再输入一次新密码", "en": "The new password again"},
  "acct.change": {"zh-CN": "修改密码", "en": "Change the password"},
  "acct.changed": {"zh-CN": "密码已修改；您在其他地方的登录已全部退出", "en": "Password changed; your other sessions are signed out"},
  "acct.mismatch": {"zh-CN": "两次输入的新密码不一致", "en": "The two new passwords differ"},
  "acct.too_short": {"zh-CN": "密码至少需要10个字符", "en": "A password has at least 10 characters"},
  "acct.list_heading": {"zh-CN": "账号管理", "en": "Manage accounts"},
  "acct.item": {"zh-CN": "{name}（{role}）", "en": "{name} ({role})"},
  "acct.state_enabled": {"zh-CN": "启用中", "en": "enabled"},
  "acct.state_disabled": {"zh-CN": "已停用", "en": "disabled"},
  "acct.you": {"zh-CN": "这是您自己的账号", "en": "this is your account"},
  "acct.disable": {"zh-CN": "停用", "en": "Disable"},
  "acct.enable": {"zh-CN": "启用", "en": "Enable"},
  "acct.reset": {"zh-CN": "重置密码", "en": "Reset the password"},
  "acct.reset_title": {"zh-CN": "重置{name}的密码", "en": "Reset the password of {name}"},
  "acct.reset_text": {"zh-CN": "重置后，{name}在所有地方的登录都会退出，需要用新密码重新登录。", "en": "Every session of {name} ends; they sign in again with the new password."},
  "acct.add_heading": {"zh-CN": "添加账号", "en": "Add an account"},
  "acct.name": {"zh-CN": "账号名（字母、数字、点、下划线或短横线）", "en": "Account name (letters, digits, '.', '_' or '-')"},
  "acct.role": {"zh-CN": "角色", "en": "Role"},
  "acct.password": {"zh-CN": "初始密码（至少10个字符）", "en": "First password (at least 10 characters)"},
  "acct.add": {"zh-CN": "添加账号", "en": "Add the account"},
  "acct.added": {"zh-CN": "已添加账号{name}（{role}）", "en": "Account {name} ({role}) added"},
  "acct.disabled_done": {"zh-CN": "已停用账号{name}，它的登录已全部退出", "en": "Account {name} disabled and signed out everywhere"},
  "acct.enabled_done": {"zh-CN": "已启用账号{name}", "en": "Account {name} enabled"},
  "acct.reset_done": {"zh-CN": "已重置{name}的密码，它的登录已全部退出", "en": "The password of {name} is reset and every session of it ended"},
  "acct.failed": {"zh-CN": "没有完成：{error}", "en": "Not done: {error}"},
  "acct.load_failed": {"zh-CN": "无法读取账号：{error}", "en": "The accounts cannot be read: {error}"},
  "vis.list_heading": {"zh-CN": "访客通行证", "en": "Visitor passes"},
  "vis.filter": {"zh-CN": "显示", "en": "Show"},
  "vis.filter_current": {"zh-CN": "有效和尚未生效的", "en": "Current passes"},
  "vis.filter_past": {"zh-CN": "已过期、已用完和已撤销的", "en": "Past passes"},
  "vis.filter_all": {"zh-CN": "全部", "en": "Every pass"},
  "vis.search": {"zh-CN": "搜索（姓名、编号或住户编号）", "en": "Search (name, id or host)"},
  "vis.search_button": {"zh-CN": "查询", "en": "Search"},
  "vis.none": {"zh-CN": "没有符合条件的访客", "en": "No visitor matches"},
  "vis.page": {"zh-CN": "第{page}页，共{total}位访客", "en": "Page {page}, {total} visitors in all"},
  "vis.newer": {"zh-CN": "上一页", "en": "Previous page"},
  "vis.older": {"zh-CN": "下一页", "en": "Next page"},
  "vis.item": {"zh-CN": "{name}，拜访{host}", "en": "{name}, visiting {host}"},
  "vis.window": {"zh-CN": "有效期 {from} 至 {until}", "en": "valid from {from} until {until}"},
  "vis.uses_limited": {"zh-CN": "已进入{uses}次，共可进入{max}次", "en": "entered {uses} of {max} times"},
  "vis.uses_unlimited": {"zh-CN": "已进入{uses}次，次数不限", "en": "entered {uses} times, no limit"},
  "vis.doors": {"zh-CN": "可进入：{doors}", "en": "doors: {doors}"},
  "vis.doors_all": {"zh-CN": "所有门", "en": "every door"},
  "visstate.active": {"zh-CN": "有效", "en": "active"},
  "visstate.not_yet_valid": {"zh-CN": "尚未生效", "en": "not valid yet"},
  "visstate.expired": {"zh-CN": "已过期", "en": "expired"},
  "visstate.used_up": {"zh-CN": "次数已用完", "en": "used up"},
  "visstate.revoked": {"zh-CN": "已撤销", "en": "revoked"},
  "visstate.unknown": {"zh-CN": "其他状态", "en": "another state"},
  "vis.revoked_by": {"zh-CN": "{account}于{time}撤销", "en": "revoked by {account} at {time}"},
  "vis.show_uses": {"zh-CN": "进出记录", "en": "Show the entries"},
  "vis.hide_uses": {"zh-CN": "收起进出记录", "en": "Hide the entries"},
  "vis.uses_none": {"zh-CN": "还没有进出记录", "en": "No entries recorded yet"},
  "vis.uses_failed": {"zh-CN": "无法读取进出记录：{error}", "en": "The entries cannot be read: {error}"},
  "vis.revoke": {"zh-CN": "撤销通行证", "en": "Revoke the pass"},
  "vis.revoked": {"zh-CN": "已撤销{name}的通行证", "en": "The pass of {name} is revoked"},
  "vis.revoke_failed": {"zh-CN": "撤销失败：{error}", "en": "Not revoked: {error}"},
  "vis.load_failed": {"zh-CN": "无法读取访客：{error}", "en": "The visitors cannot be read: {error}"},
  "vis.confirm_title": {"zh-CN": "确认撤销{name}的通行证？", "en": "Revoke the pass of {name}?"},
  "vis.confirm_text": {"zh-CN": "撤销后，通行码和人脸都不能再开门；访客的资料和进出记录会保留。", "en": "Afterwards neither the pass code nor the face opens a door; the visitor's record and entries are kept."},
  "vis.confirm_yes": {"zh-CN": "确认撤销", "en": "Revoke the pass"},
  "vis.same_face": {"zh-CN": "注意：这张照片与{kind}{name}（编号 {id}）是同一张脸。两人无法区分，刷脸都会被拒绝，请撤销其中一张通行证；通行码不受影响。", "en": "Note: this is the same face as {kind} {name} ({id}). The two cannot be told apart, so both are refused by face until one pass is revoked; the pass codes still work."},
  "vis.same_face_person": {"zh-CN": "注意：这张照片与{kind}{name}（编号 {id}）是同一张脸。两人无法区分，刷脸都会被拒绝；通行码不受影响。", "en": "Note: this is the same face as {kind} {name} ({id}). The two cannot be told apart, so both are refused by face; the pass codes still work."},
  "viskind.visitor": {"zh-CN": "访客", "en": "visitor"},
  "viskind.resident": {"zh-CN": "住户", "en": "resident"},
  "viskind.staff": {"zh-CN": "员工", "en": "staff member"},
  "viskind.unknown": {"zh-CN": "登记人员", "en": "someone enrolled"},
  "vis.revoke_other": {"zh-CN": "撤销{name}的通行证", "en": "Revoke the pass of {name}"},
  "phone.me": {"zh-CN": "{name}（{unit}）", "en": "{name} ({unit})"},
  "phone.big_on": {"zh-CN": "放大字体", "en": "Larger text"},
  "phone.big_off": {"zh-CN": "恢复正常字体", "en": "Normal text size"},
  "phone.guest_uses": {"zh-CN": "可进入次数（0 = 不限）", "en": "Entries (0 = no limit)"},
  "phone.guest_doors": {"zh-CN": "访客可以进入的门", "en": "Doors the guest may use"},
  "phone.no_doors": {"zh-CN": "请至少选择一个门", "en": "Choose at least one door"},
  "phone.invited_pass": {"zh-CN": "请把下面的访客码发给{name}：可进入{doors}，{uses}，有效期至{until}", "en": "Send this code to {name}: doors: {doors}; {uses}; valid until {until}"},
  "phone.all_doors": {"zh-CN": "所有门", "en": "every door"},
  "phone.uses_limited": {"zh-CN": "可进入{uses}次", "en": "{uses} entries"},
  "phone.uses_unlimited": {"zh-CN": "次数不限", "en": "any number of entries"},
  "phone.share": {"zh-CN": "分享访客码", "en": "Share the code"},
  "phone.shared": {"zh-CN": "已分享访客码", "en": "The code is shared"},
  "phone.copied": {"zh-CN": "访客码已复制，可以粘贴到微信或短信里发给访客", "en": "The code is copied: paste it into a message to the guest"},
  "phone.copy_failed": {"zh-CN": "无法自动复制，请长按访客码手动复制", "en": "It could not be copied: press and hold the code to copy it"},
  "phone.share_title": {"zh-CN": "访客码", "en": "Visitor code"},
  "phone.share_text": {"zh-CN": "{name}您好，您的访客码是 {code}：到门口在键盘上输入后按 #。可进入{doors}，有效期至{until}。", "en": "Hello {name}, your visitor code is {code}: type it at the door's keypad, then #. Doors: {doors}; valid until {until}."},
  "phone.unpair_title": {"zh-CN": "解除这部手机的配对？", "en": "Unpair this phone?"},
  "phone.unpair_text": {"zh-CN": "解除后，这部手机不能再开门，也不能邀请访客；以后要用，需要再向门卫处索取配对码。", "en": "Afterwards this phone opens no door and invites no guest; to use it again, ask the gatehouse for a new pairing code."},
  "phone.unpair_yes": {"zh-CN": "解除配对", "en": "Unpair"},
  "phone.unpaired": {"zh-CN": "已解除配对，这部手机不能再开门", "en": "Unpaired: this phone no longer opens doors"},
  "phone.unpair_failed": {"zh-CN": "解除配对失败：{error}", "en": "Not unpaired: {error}"},
  "phone.revoked": {"zh-CN": "这部手机的配对已被撤销，请向门卫处重新索取配对码", "en": "This phone's pairing was revoked: ask the gatehouse for a new pairing code"},
  "err.account_disabled": {"zh-CN": "此账号已被停用，请联系管理员", "en": "This account is disabled: ask an admin"},
  "err.account_exists": {"zh-CN": "已有同名的账号", "en": "An account with this name exists"},
  "err.already_revoked": {"zh-CN": "这张通行证已经撤销过了", "en": "This pass is already revoked"},
  "err.last_admin": {"zh-CN": "这是最后一个启用的管理员账号，不能停用；请先添加或启用另一个管理员", "en": "This is the last enabled admin account: add or enable another admin first"},
  "err.self_disable": {"zh-CN": "不能停用自己的账号，请另一位管理员来做", "en": "You cannot disable your own account: another admin can"},
  "err.wrong_password": {"zh-CN": "当前密码不对，密码没有修改", "en": "The current password is wrong: nothing was changed"},
  "err.bad_name": {"zh-CN": "账号名只能用字母、数字、点、下划线或短横线，最多64个", "en": "An account name is letters, digits, '.', '_' or '-', at most 64"},
  "err.bad_role": {"zh-CN": "请选择一个角色", "en": "Choose a role"},
  "err.bad_password": {"zh-CN": "密码至少需要10个字符", "en": "A password has at least 10 characters"},
  "ev.account.added": {"zh-CN": "{account}添加了账号{person}", "en": "{account} added the account {person}"},
  "ev.account.disabled": {"zh-CN": "{account}停用了账号{person}", "en": "{account} disabled the account {person}"},
  "ev.account.enabled": {"zh-CN": "{account}启用了账号{person}", "en": "{account} enabled the account {person}"},
  "ev.account.password_reset": {"zh-CN": "{account}重置了账号{person}的密码", "en": "{account} reset the password of the account {person}"},
  "ev.account.password_changed": {"zh-CN": "{account}修改了自己的密码", "en": "{account} changed their own password"},
  "ev.auth.logout": {"zh-CN": "{account}退出了登录", "en": "{account} signed out"},
  "ev.device.unpaired": {"zh-CN": "{person}在手机上解除了配对", "en": "{person} unpaired their phone"},
  "ev.visitor.revoked": {"zh-CN": "{account}撤销了访客{person}的通行证", "en": "{account} revoked the pass of visitor {person}"},
  "reason.pass_revoked": {"zh-CN": "访客通行证已被撤销", "en": "the visitor's pass was revoked"}
}
/* end of catalog */;

const LANGS = ["zh-CN", "en"];

// The language: the one chosen on the page (remembered), else zh-CN for a
// browser that prefers Chinese, else English.
function pickLang() {
  let saved = null;
  try { saved = localStorage.getItem("menwei-lang"); } catch (e) { saved = null; }
  if (LANGS.includes(saved)) return saved;
  const prefs = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || ""];
  for (const l of prefs) {
    const p = String(l).toLowerCase();
    if (p.startsWith("zh")) return "zh-CN";
    if (p.startsWith("en")) return "en";
  }
  return "en";
}
let lang = pickLang();

function hasMsg(key) { return Object.prototype.hasOwnProperty.call(MESSAGES, key); }

// t returns the sentence for key in the chosen language with its
// placeholders filled; never the key itself.
function t(key, vars) {
  const m = hasMsg(key) ? MESSAGES[key] : MESSAGES["msg.missing"];
  const s = m[lang] !== undefined ? m[lang] : MESSAGES["msg.missing"][lang];
  return s.replace(/\{(\w+)\}/g, (_, n) => (vars && vars[n] !== undefined && vars[n] !== null) ? String(vars[n]) : "");
}

// codeText turns a machine code into its sentence (prefix + code), or the
// generic sentence; an unknown code is pushed on unknown so that the caller
// shows it in small print.
function codeText(prefix, code, generic, unknown, vars) {
  if (code && hasMsg(prefix + code)) return t(prefix + code, vars);
  if (code && unknown) unknown.push(code);
  return t(generic, vars);
}

// putText fills el with text and the unknown codes in small print.
function putText(el, text, unknown) {
  el.textContent = text;
  for (const c of unknown || []) {
    const s = document.createElement("small");
    s.className = "code";
    s.textContent = c;
    el.appendChild(document.createTextNode(" "));
    el.appendChild(s);
  }
}

// The controller's time zone (from the API); "" = the browser's.
let timeZone = "";
function fmtTime(iso, withDate) {
  const d = new Date(iso);
  const o = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  if (withDate) Object.assign(o, { year: "numeric", month: "2-digit", day: "2-digit" });
  try { return new Intl.DateTimeFormat(lang, timeZone ? { ...o, timeZone } : o).format(d); }
  catch (e) { return new Intl.DateTimeFormat(lang, o).format(d); } // an unknown zone name
}

// applyI18n fills the page's static text: data-i18n (text), and
// data-i18n-placeholder, -alt, -value for those attributes.
function applyI18n() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll("[data-i18n-alt]")) el.alt = t(el.dataset.i18nAlt);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of document.querySelectorAll("[data-i18n-value]")) {
    // A value the person has not changed follows the language.
    if (!el.dataset.touched) el.value = t(el.dataset.i18nValue);
    el.oninput = () => { el.dataset.touched = "1"; };
  }
  const sel = document.getElementById("lang");
  if (sel) sel.value = lang;
}

// Hooks run after a switch of language (pages redraw what they built).
const langHooks = [];
function setLang(l) {
  if (!LANGS.includes(l)) return;
  lang = l;
  try { localStorage.setItem("menwei-lang", l); } catch (e) { /* private mode: not remembered */ }
  applyI18n();
  for (const h of langHooks) h();
}

document.addEventListener("DOMContentLoaded", () => {
  applyI18n();
  const sel = document.getElementById("lang");
  if (sel) sel.onchange = () => setLang(sel.value);
});
